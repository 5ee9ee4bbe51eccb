package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/digit"
)

// maxBody bounds a request's body: a photo from a phone is a few MB.
const maxBody = 10 << 20

//go:embed web/index.html
var webFiles embed.FS

// runServe is `train serve -model FILE [-addr :8080] [-device cpu]`: the draw-a-digit page
// and its API until SIGINT or SIGTERM, which shut it down gracefully (exit 0).
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exitCode(serve(ctx, args, stdout, stderr), stderr)
}

// serve runs the server until ctx is done. It prints one line with the page's URL once it
// listens (the tests read the port from it).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := subFlags("serve")
	modelPath := fs.String("model", "", "checkpoint (.safetensors) to classify with")
	addr := fs.String("addr", ":8080", "address to listen on, host:port (port 0: any free one)")
	device := fs.String("device", "cpu", "cpu: the network runs in this process on the CPU")
	if err := parseSub(fs, args, "serve -model FILE [-addr :8080] [-device cpu]", stderr); err != nil {
		return err
	}
	switch {
	case *modelPath == "":
		return usageError{errors.New("serve: -model FILE is required")}
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("serve: unexpected argument %q (usage: train serve -model FILE [-addr :8080])", fs.Arg(0))}
	case *device == "gpu":
		return usageError{errors.New("-device gpu: serve classifies one drawing per request on the CPU engine; the GPU engine only trains and evaluates data sets (use -device cpu)")}
	case *device != "cpu":
		return usageError{fmt.Errorf("-device %q: serve runs on cpu", *device)}
	}
	m, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", *addr, unwrapOp(err))
	}
	// a client that stops sending or reading holds a connection for a minute at most
	srv := &http.Server{Handler: newServeHandler(m), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving %s on %s (Ctrl-C stops)\n", m.Arch(), pageURL(ln.Addr()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
		return fmt.Errorf("stopping the server: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// pageURL is the URL a browser on this machine opens for the listener's address.
func pageURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// unwrapOp is a net error without its "listen tcp ADDR:" prefix (the message names it).
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// predictResponse is /api/predict's answer: the class, the ten softmax probabilities, and
// the 28×28 image the network saw (a PNG data URL, ink white on black as in MNIST).
type predictResponse struct {
	Digit int         `json:"digit"`
	Probs [10]float32 `json:"probs"`
	Input string      `json:"input"`
}

// newServeHandler is the page at / and the API at /api/predict: POST the picture's bytes
// (PNG, JPEG or GIF, at most maxBody) and get a predictResponse. Every refusal is a 4xx
// with {"error": MESSAGE}: 405 for another method, 413 for a body over maxBody, 415 for
// what is not an image, 422 for an image with no digit (blank, or no pixels).
func newServeHandler(m *vkcnn.Model) http.Handler {
	page, err := webFiles.ReadFile("web/index.html")
	if err != nil {
		panic(err) // embedded at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			jsonError(w, http.StatusNotFound, fmt.Sprintf("no page %s: the page is /, the API POST /api/predict", r.URL.Path))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			jsonError(w, http.StatusMethodNotAllowed, r.Method+" /: the page is read with GET")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:")
		w.Write(page)
	})
	mux.HandleFunc("/api/predict", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			jsonError(w, http.StatusMethodNotAllowed, r.Method+" /api/predict: POST the picture's bytes (PNG, JPEG or GIF)")
			return
		}
		status, resp, err := predictBody(m, http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			jsonError(w, status, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	return mux
}

// predictBody reads, prepares and classifies the picture in body; on failure it returns
// the HTTP status and the message.
func predictBody(m *vkcnn.Model, body io.Reader) (int, *predictResponse, error) {
	data, err := io.ReadAll(body)
	if mb := new(http.MaxBytesError); errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge, nil, fmt.Errorf("the picture is over %d MB", maxBody>>20)
	}
	if err != nil {
		return http.StatusBadRequest, nil, fmt.Errorf("reading the request: %w", err)
	}
	if len(data) == 0 {
		return http.StatusBadRequest, nil, errors.New("empty request: POST the picture's bytes (PNG, JPEG or GIF)")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return http.StatusUnsupportedMediaType, nil, errors.New("not a PNG, JPEG or GIF image")
	}
	if err != nil {
		return http.StatusUnsupportedMediaType, nil, fmt.Errorf("unreadable image: %w", err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return http.StatusRequestEntityTooLarge, nil, fmt.Errorf("%d×%d pixels, more than the %d this server reads", cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return http.StatusUnsupportedMediaType, nil, fmt.Errorf("unreadable image: %w", err)
	}
	x, err := digit.Prepare(img)
	if errors.Is(err, digit.ErrBlank) {
		return http.StatusUnprocessableEntity, nil, errors.New("no digit: the picture is blank (no stroke 20% darker than the paper)")
	}
	if err != nil {
		return http.StatusUnprocessableEntity, nil, err
	}
	ps, err := m.PredictPrepared(x)
	if err != nil {
		return http.StatusInternalServerError, nil, err
	}
	return http.StatusOK, &predictResponse{Digit: ps[0].Digit, Probs: ps[0].Probs, Input: inputPNG(x)}, nil
}

// inputPNG is the prepared 28×28 image (values 0..1) as a PNG data URL, 0 black, 1 white.
func inputPNG(x []float32) string {
	g := image.NewGray(image.Rect(0, 0, digit.Size, digit.Size))
	for i, v := range x {
		g.Pix[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
	}
	var b bytes.Buffer
	png.Encode(&b, g)
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// jsonError writes {"error": msg} with the status.
func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
