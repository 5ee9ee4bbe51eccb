package checkpoint

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSaveThroughSymlink: saving through a link (relative, absolute, a chain, a dangling
// one) writes the file it names and leaves the links as they were.
func TestSaveThroughSymlink(t *testing.T) {
	a := tinyArch(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "runs")
	require.NoError(t, os.Mkdir(sub, 0o755))
	target, _ := oldCheckpoint(t, sub)
	rel := filepath.Join(dir, "rel.safetensors")
	require.NoError(t, os.Symlink("runs/m.safetensors", rel))
	abs := filepath.Join(dir, "abs.safetensors")
	require.NoError(t, os.Symlink(target, abs))
	chain := filepath.Join(dir, "chain.safetensors")
	require.NoError(t, os.Symlink("rel.safetensors", chain))

	for seed, link := range []string{rel, abs, chain} {
		p := a.InitParams(uint64(seed))
		require.NoError(t, Save(link, a, p))
		st, err := os.Lstat(link)
		require.NoError(t, err)
		require.Equal(t, fs.ModeSymlink.String(), st.Mode().Type().String(), "%s is still a link", link)
		got, err := loadFile(target, a)
		require.NoError(t, err)
		require.Equal(t, bits(p), bits(got), "the link's target holds the new checkpoint")
	}
	requireOnly(t, sub, "m.safetensors")

	dangling := filepath.Join(dir, "dangling.safetensors")
	require.NoError(t, os.Symlink("runs/new.safetensors", dangling))
	require.NoError(t, Save(dangling, a, tinyParams(a)))
	requireOnly(t, sub, "m.safetensors", "new.safetensors")
	st, err := os.Lstat(dangling)
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink.String(), st.Mode().Type().String())

	loop := filepath.Join(dir, "loop.safetensors")
	require.NoError(t, os.Symlink("loop.safetensors", loop))
	require.EqualError(t, Save(loop, a, tinyParams(a)), "checkpoint "+loop+": more than 40 symbolic links")
}

// TestSaveKeepsModeElseUmask: a saved checkpoint keeps the mode of the file it replaces
// (0600 stays private, 0666 is not cut by the umask); a new one gets 0666 less the umask.
func TestSaveKeepsModeElseUmask(t *testing.T) {
	a := tinyArch(t)
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	for _, mode := range []os.FileMode{0o600, 0o640, 0o666, 0o444} {
		dir := t.TempDir()
		path, _ := oldCheckpoint(t, dir)
		require.NoError(t, os.Chmod(path, mode))
		require.NoError(t, Save(path, a, a.InitParams(2)))
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, mode.String(), st.Mode().Perm().String(), "kept")
	}
	path := filepath.Join(t.TempDir(), "new.safetensors")
	require.NoError(t, Save(path, a, a.InitParams(2)))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640).String(), st.Mode().Perm().String(), "0666 less the umask 027")
}

// TestLockIsExclusive: while one Target holds a file, a second Lock of it, by its name or
// through a link, and a Save to it are refused with the holder's pid; Close releases the
// lock and removes the lock file.
func TestLockIsExclusive(t *testing.T) {
	a := tinyArch(t)
	dir := t.TempDir()
	path, before := oldCheckpoint(t, dir)
	link := filepath.Join(dir, "link.safetensors")
	require.NoError(t, os.Symlink("m.safetensors", link))

	first, err := Lock(path)
	require.NoError(t, err)
	requireOnly(t, dir, "m.safetensors", "m.safetensors.lock", "link.safetensors")
	inUse := fmt.Sprintf("in use by another run (pid %d), which holds %s.lock", os.Getpid(), path)
	_, err = Lock(path)
	require.EqualError(t, err, inUse)
	_, err = Lock(link)
	require.EqualError(t, err, inUse)
	require.EqualError(t, Save(link, a, a.InitParams(9)), "checkpoint "+link+": "+inUse)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, got, "the refused save wrote nothing")

	require.NoError(t, first.Save(a, a.InitParams(9)))
	require.NoError(t, first.Close())
	require.NoError(t, first.Close(), "a second Close is harmless")
	requireOnly(t, dir, "m.safetensors", "link.safetensors")
	second, err := Lock(link)
	require.NoError(t, err, "free again")
	require.NoError(t, second.Close())
}

// TestMain lets the test binary, started by TestLockAcrossProcesses with
// VKCNN_TEST_HOLD_LOCK=PATH, be another process that holds PATH's lock until killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("VKCNN_TEST_HOLD_LOCK"); path != "" {
		if _, err := Lock(path); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		select {}
	}
	os.Exit(m.Run())
}

// TestLockAcrossProcesses: the lock holds against another process, which the message
// names by its pid, and the lock file left behind when that process is killed does not
// block the next run.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	path, _ := oldCheckpoint(t, dir)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "VKCNN_TEST_HOLD_LOCK="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = Lock(path)
	require.EqualError(t, err, fmt.Sprintf("in use by another run (pid %d), which holds %s.lock", cmd.Process.Pid, path))
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	require.FileExists(t, path+".lock", "left behind by the killed holder")
	tg, err := Lock(path)
	require.NoError(t, err, "the kernel released the dead holder's lock")
	require.NoError(t, tg.Close())
	require.NoFileExists(t, path+".lock")
}

// TestCheckRefusesWhatSaveCannotDo: every target a save would fail on is refused by Check
// (and Lock) before anything is written, and the save indeed fails on it.
func TestCheckRefusesWhatSaveCannotDo(t *testing.T) {
	a := tinyArch(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	// 240 bytes is a valid name, but .NAME-NNNNNNNNNN.tmp is 256: one too many.
	long := filepath.Join(dir, strings.Repeat("n", 240))
	cases := []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{"/dev/null", "is a character device, not a regular file"},
		{dir, "is a directory"},
		{dir + "/", "is a directory"},
		{filepath.Join(dir, "nope", "m.safetensors"), "folder " + dir + "/nope does not exist"},
		{file + "/m.safetensors", "not a directory"},
		{long, "cannot create its temporary file ." + strings.Repeat("n", 240) + "-NNNNNNNNNN.tmp in " + dir + ": file name too long"},
	}
	immutable := filepath.Join(dir, "immutable.safetensors")
	require.NoError(t, os.WriteFile(immutable, nil, 0o644))
	if out, err := exec.Command("chattr", "+i", immutable).CombinedOutput(); err == nil {
		t.Cleanup(func() { exec.Command("chattr", "-i", immutable).Run() })
		cases = append(cases, struct{ path, want string }{immutable, "is immutable (chattr +i), so a save cannot replace it"})
	} else {
		t.Logf("not checked: an immutable file (chattr +i: %v %s)", err, out)
	}
	for _, c := range cases {
		require.EqualError(t, Check(c.path), c.want, c.path)
		_, err := Lock(c.path)
		require.EqualError(t, err, c.want, c.path)
		// What Check refuses, the save itself (without Check) cannot do either.
		require.Error(t, writeAtomic(c.path, encode(a, tinyParams(a)), createTemp), c.path)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasSuffix(e.Name(), ".tmp") || strings.HasSuffix(e.Name(), ".lock"), "left behind: %s", e.Name())
	}
	// One byte shorter, the same name works.
	require.NoError(t, Check(long[:len(long)-1]))
}
