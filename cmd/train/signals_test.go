package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
)

// TestMain lets the test binary, started with VKCNN_TEST_TRAIN_ARGS (a JSON list of
// arguments), be the command itself, for the tests that signal a running process.
func TestMain(m *testing.M) {
	if js := os.Getenv("VKCNN_TEST_TRAIN_ARGS"); js != "" {
		var args []string
		if err := json.Unmarshal([]byte(js), &args); err != nil {
			panic(err)
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestStopSignalDuringSaves: a run saving after every (tiny) epoch, so that a signal
// often lands in the middle of a save, stopped by SIGINT, SIGTERM or SIGHUP: exit 128 +
// the signal's number, one line on stderr, no temporary file and no lock file left, and
// the checkpoint whole (it loads). Left to the default action, the signal ended the
// process as it was, leaving a half-written .m.safetensors-N.tmp and the lock file.
func TestStopSignalDuringSaves(t *testing.T) {
	data := dataDir(t, nil)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(stopSignals[sig], func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.safetensors")
			args, err := json.Marshal([]string{"-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1000000", "-save", path})
			require.NoError(t, err)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "VKCNN_TEST_TRAIN_ARGS="+string(args))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan struct{})
			t.Cleanup(func() { cmd.Process.Kill(); <-exited })
			go func() { cmd.Wait(); close(exited) }()

			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(path); err == nil {
					break // the first epoch is saved; more are being saved
				}
				require.True(t, time.Now().Before(deadline), "no checkpoint after 20 s; stderr: %q", stderr.String())
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(30 * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(sig))
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running 20 s after %v", sig)
			}

			assert.Equal(t, 128+int(sig), cmd.ProcessState.ExitCode(), "%v", cmd.ProcessState)
			// The first signal stops the run after its step, saved (catchStop).
			assert.Regexp(t, `^train: stopped by `+stopSignals[sig]+` (after epoch \d+|in epoch \d+ after step \d+); saved `+regexp.QuoteMeta(path)+`; continue with: train -resume \S+ -data \S+ -device cpu\n$`, stderr.String())
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			assert.Equal(t, []string{"m.safetensors"}, names, "no temporary file, no lock file")
			code, _, errOut := runTrain(t, "-data", data, "-device", "cpu", "-init", path, "-epochs", "0")
			assert.Equal(t, 0, code, "the checkpoint loads: %s", errOut)
		})
	}
}

// TestStopOnSignalIsDoneAfterTheRun: once the run lets go of its checkpoint, the handler
// neither exits nor holds the signals; while it holds them, a signal abandons the target.
func TestStopOnSignalIsDoneAfterTheRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	tg, err := checkpoint.Lock(path)
	require.NoError(t, err)
	var errOut bytes.Buffer
	exits := make(chan int, 1)
	stop := stopOnSignal(tg, path, &errOut, func(code int) { exits <- code })
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	select {
	case code := <-exits:
		assert.Equal(t, 129, code)
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP not handled")
	}
	stop()
	assert.True(t, strings.HasPrefix(errOut.String(), "train: stopped by SIGHUP; -save "+path), errOut.String())
	assert.NoFileExists(t, path+".lock")

	tg, err = checkpoint.Lock(path)
	require.NoError(t, err)
	stop = stopOnSignal(tg, path, &errOut, func(code int) { exits <- code })
	stop()
	require.NoError(t, tg.Close())
	select {
	case code := <-exits:
		t.Fatalf("exit(%d) after stop", code)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestStdoutPipeClosed: a run saving checkpoints whose stdout is a pipe the reader closes
// (train | head -1) stops with exit 141 (128 + SIGPIPE) and one line on stderr, leaving
// no temporary file and no lock file. Left to the default, SIGPIPE ended it without a
// word and left the lock file.
func TestStdoutPipeClosed(t *testing.T) {
	data := dataDir(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	args, err := json.Marshal([]string{"-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1000000", "-save", path})
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "VKCNN_TEST_TRAIN_ARGS="+string(args))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "vkcnn: "), line)
	require.NoError(t, stdout.Close()) // the reader goes, as head does
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after its stdout closed")
	}
	assert.Equal(t, 128+int(syscall.SIGPIPE), cmd.ProcessState.ExitCode(), "%v", cmd.ProcessState)
	// Like any first stop signal, it stops the run after its step, saved (catchStop); or,
	// when it lands during a save (each epoch of this tiny run saves), it abandons that save
	// and keeps the last complete one (stopOnSignal). Either way: one line, nothing torn.
	stopped := `^train: stopped by SIGPIPE (after epoch \d+|in epoch \d+ after step \d+); saved ` + regexp.QuoteMeta(path) + `; continue with: train -resume \S+ -data \S+ -device cpu\n$`
	midSave := `^train: stopped by SIGPIPE; -save ` + regexp.QuoteMeta(path) + ` holds the last complete save, if any \(nothing half-written\)\n$`
	assert.Regexp(t, stopped+"|"+midSave, stderr.String())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, "m.safetensors", e.Name(), "no temporary file, no lock file")
	}
}
