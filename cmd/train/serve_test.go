package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
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

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/digit"
)

// newTestServer serves the committed model's page and API on httptest.
func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	m, err := vkcnn.Load(smallModel)
	require.NoError(t, err)
	srv := httptest.NewServer(newServeHandler(m))
	t.Cleanup(srv.Close)
	return srv
}

// TestServePredictsTheDigits: each committed picture POSTed to /api/predict comes back as
// its digit, with ten probabilities summing to 1 and the 28×28 input the network saw,
// which is what digit.Prepare makes of the picture.
func TestServePredictsTheDigits(t *testing.T) {
	srv := newTestServer(t)
	paths, err := filepath.Glob("../../testdata/digits/*.png")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		resp, err := http.Post(srv.URL+"/api/predict", "image/png", bytes.NewReader(data))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var p predictResponse
		require.NoError(t, json.Unmarshal(body, &p))
		assert.Equal(t, int(filepath.Base(path)[0]-'0'), p.Digit, path)
		var sum float32
		for _, v := range p.Probs {
			sum += v
		}
		assert.InDelta(t, 1, sum, 1e-5, path)

		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		want, err := digit.Prepare(img)
		require.NoError(t, err)
		b64, ok := strings.CutPrefix(p.Input, "data:image/png;base64,")
		require.True(t, ok, "input is not a PNG data URL: %.40s", p.Input)
		raw, err := base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err)
		seen, err := png.Decode(bytes.NewReader(raw))
		require.NoError(t, err)
		g, ok := seen.(*image.Gray)
		require.True(t, ok, "input is %T, not grey", seen)
		require.Equal(t, image.Rect(0, 0, 28, 28), g.Bounds())
		for i, v := range want {
			require.InDelta(t, v*255, float32(g.Pix[i]), 0.51, "%s: input pixel %d", path, i)
		}
	}
}

// TestServeBadRequests: each bad request is a 4xx with a JSON {"error"} that says what was
// wrong, and the server goes on answering.
func TestServeBadRequests(t *testing.T) {
	srv := newTestServer(t)
	blank := image.NewGray(image.Rect(0, 0, 280, 280))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var blankPNG bytes.Buffer
	require.NoError(t, png.Encode(&blankPNG, blank))
	seven, err := os.ReadFile("../../testdata/digits/7-test0.png")
	require.NoError(t, err)

	for _, c := range []struct {
		name, method, path string
		body               []byte
		status             int
		want               string
	}{
		{"GET the API", "GET", "/api/predict", nil, 405, "POST the picture"},
		{"PUT the API", "PUT", "/api/predict", seven, 405, "PUT /api/predict"},
		{"POST the page", "POST", "/", seven, 405, "GET"},
		{"no such page", "GET", "/favicon.ico", nil, 404, "no page /favicon.ico"},
		{"empty body", "POST", "/api/predict", nil, 400, "empty request"},
		{"not an image", "POST", "/api/predict", []byte("hello, world"), 415, "not a PNG, JPEG or GIF image"},
		{"truncated PNG", "POST", "/api/predict", seven[:len(seven)/2], 415, "unreadable image"},
		{"too many pixels", "POST", "/api/predict", hugePNG(100000, 100000), 413, "100000×100000 pixels"},
		{"over 10 MB", "POST", "/api/predict", bytes.Repeat([]byte{0}, maxBody+1), 413, "over 10 MB"},
		{"blank canvas", "POST", "/api/predict", blankPNG.Bytes(), 422, "the picture is blank"},
		{"no pixels", "POST", "/api/predict", hugePNG(0, 5), 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, bytes.NewReader(c.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if c.status == 0 { // any 4xx with a message
				assert.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500, "status %d: %s", resp.StatusCode, body)
			} else {
				assert.Equal(t, c.status, resp.StatusCode, string(body))
			}
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &e), string(body))
			assert.Contains(t, e.Error, c.want)
			assert.NotEmpty(t, e.Error)
		})
	}
	resp, err := http.Post(srv.URL+"/api/predict", "image/png", bytes.NewReader(seven))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the server stopped answering after the bad requests")
}

// TestServePage: the page is one self-contained document: no external script, style or
// font, and the elements the browser test and users rely on.
func TestServePage(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	page := string(body)
	for _, id := range []string{`id="pad"`, `id="clear"`, `id="file"`, `id="digit"`, `id="seen"`, `id="probs"`, "pointerdown"} {
		assert.Contains(t, page, id)
	}
	assert.NotRegexp(t, `(?i)(src|href)=["']?(https?:)?//`, page, "the page loads something from another host")
	assert.NotContains(t, page, "@import")
	assert.NotContains(t, page, "@font-face")
}

// TestServeStartsFastAndStopsOnSignal runs `train serve` as its own process: the page
// answers 200 within a second of the process starting (loading the model included), and
// SIGTERM, then SIGINT in a second run, shut it down gracefully: "stopped", exit 0.
func TestServeStartsFastAndStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			args, err := json.Marshal([]string{"serve", "-model", smallModel, "-addr", "127.0.0.1:0"})
			require.NoError(t, err)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "VKCNN_TEST_TRAIN_ARGS="+string(args))
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill() })

			lines := bufio.NewScanner(stdout)
			require.True(t, lines.Scan(), "no line on stdout; stderr: %s", stderr.String())
			url := regexp.MustCompile(`^serving lenet-6-12 on (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)$`).FindStringSubmatch(lines.Text())
			require.NotNil(t, url, lines.Text())
			var status int
			for time.Since(start) < 5*time.Second {
				if resp, err := http.Get(url[1]); err == nil {
					status = resp.StatusCode
					resp.Body.Close()
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			took := time.Since(start)
			require.Equal(t, http.StatusOK, status)
			assert.Less(t, took, time.Second, "from the process's start to the first 200")
			t.Logf("first 200 after %v", took)

			require.NoError(t, cmd.Process.Signal(sig))
			require.True(t, lines.Scan(), "no line after the signal; stderr: %s", stderr.String())
			assert.Equal(t, "stopped", lines.Text())
			require.NoError(t, cmd.Wait(), "exit status after %v; stderr: %s", sig, stderr.String())
			assert.Empty(t, stderr.String())
		})
	}
}

// TestServeUsage: a bad command line or model is one line on stderr and a non-zero exit,
// before anything listens.
func TestServeUsage(t *testing.T) {
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	addr := strings.TrimPrefix(busy.URL, "http://")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "train: serve: -model FILE is required"},
		{[]string{"-model", smallModel, "extra"}, 2, `train: serve: unexpected argument "extra"`},
		{[]string{"-model", smallModel, "-device", "gpu"}, 2, "train: -device gpu: serve classifies one drawing per request on the CPU engine"},
		{[]string{"-model", smallModel, "-device", "tpu"}, 2, `train: -device "tpu": serve runs on cpu`},
		{[]string{"-model", "no/such.safetensors"}, 1, "train: -model no/such.safetensors: "},
		{[]string{"-model", smallModel, "-addr", addr}, 1, "train: -addr " + addr + ": "},
		{[]string{"-model", smallModel, "-addr", "nonsense"}, 1, "train: -addr nonsense: "},
		{[]string{"-model", smallModel, "-bogus"}, 2, "train: flag provided but not defined: -bogus"},
	} {
		var stdout, stderr bytes.Buffer
		code := runServe(c.args, &stdout, &stderr)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr.String())
		assert.True(t, strings.HasPrefix(stderr.String(), c.want), "%v: stderr %q, want the start %q", c.args, stderr.String(), c.want)
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%v: %q", c.args, stderr.String())
		assert.Empty(t, stdout.String())
	}
}
