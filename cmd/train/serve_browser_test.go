package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/mnist"
)

// browserPath is a Chromium-family browser on PATH, or "" after skipping the test; with
// VKCNN_REQUIRE_BROWSER=1 (make test) a missing browser fails it.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VKCNN_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium on PATH and VKCNN_REQUIRE_BROWSER=1 (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); VKCNN_REQUIRE_BROWSER=1 makes this a failure")
	return ""
}

// newBrowser starts a headless browser with a fresh profile; the context ends it.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browserPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(960, 820), // the whole page in view: nothing scrolls
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// strokes drags the mouse, or a finger when touch, along a 28×28 image's ink as a person
// would draw it, row by row: for each run of pixels with value ≥ ½, press at its first
// pixel's centre, move to its last one's, release; pixel (x, y) is mapped onto the
// canvas's box on the page.
func strokes(x []float32, box [4]float64, touch bool) chromedp.Action[chromedp.Void] {
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	finger := func(typ input.DispatchTouchEventType, x, y float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
			if typ != input.DispatchTouchEventTypeTouchEnd {
				p.TouchPoints = append(p.TouchPoints, &input.TouchPoint{X: x, Y: y})
			}
			_, err := chromedp.Call(ctx, input.DispatchTouchEvent, p)
			return err
		})
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		at := func(px, py int) (float64, float64) {
			return box[0] + (float64(px)+0.5)*box[2]/28, box[1] + (float64(py)+0.5)*box[3]/28
		}
		for y := range 28 {
			for x0 := 0; x0 < 28; x0++ {
				if x[y*28+x0] < 0.5 {
					continue
				}
				x1 := x0
				for x1+1 < 28 && x[y*28+x1+1] >= 0.5 {
					x1++
				}
				sx, sy := at(x0, y)
				ex, ey := at(x1, y)
				stroke := []chromedp.Action[chromedp.Void]{
					chromedp.MouseEvent(chromedp.MouseMoved, sx, sy),
					chromedp.MouseEvent(chromedp.MousePressed, sx, sy, held, chromedp.ClickCount(1)),
					chromedp.MouseEvent(chromedp.MouseMoved, ex, ey, held),
					chromedp.MouseEvent(chromedp.MouseReleased, ex, ey, chromedp.ButtonLeft, chromedp.ClickCount(1)),
				}
				if touch {
					stroke = []chromedp.Action[chromedp.Void]{
						finger(input.DispatchTouchEventTypeTouchStart, sx, sy),
						finger(input.DispatchTouchEventTypeTouchMove, ex, ey),
						finger(input.DispatchTouchEventTypeTouchEnd, 0, 0),
					}
				}
				err := chromedp.Do(ctx, stroke...)
				if err != nil {
					return err
				}
				x0 = x1
			}
		}
		return nil
	})
}

// shown is what the page shows after its requests settle: the digit in large type, the
// digit of the highlighted probability bar and its percentage, the message line, and
// whether the 28×28 input is shown.
type shown struct {
	Digit, TopBar, TopPct, Message string
	Seen                           bool
}

// waitShown waits until the page has had an answer after the answered count before and has
// nothing pending, then reads what it shows.
func waitShown(ctx context.Context, before int) (shown, error) {
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`window.vkcnn.idle() && window.vkcnn.answered > %d`, before),
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		return shown{}, fmt.Errorf("no answer shown within 10 s (did the strokes draw nothing?): %w", err)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
			const top = document.querySelector("#probs tr.top");
			return {Digit: document.getElementById("digit").textContent,
				TopBar: top ? top.cells[0].textContent : "", TopPct: top ? top.cells[2].textContent : "",
				Message: document.getElementById("message").textContent,
				Seen: document.getElementById("seen").src.startsWith("data:image/png;base64,")};
		})()`))
}

// TestServeInBrowser loads the page in headless Chromium, draws the first MNIST test digit
// of each class onto the canvas with real input events (strokes along its ink; the even
// digits with the mouse, the odd ones with a finger on a touch screen), and checks
// that the page shows the right digit for at least 9 of the 10, with its bar highlighted
// and the 28×28 input shown; then uploads a committed PNG through the file input, and a
// file that is not an image. With VKCNN_SCREENSHOT=FILE it writes a screenshot of the page
// with a drawn digit there (docs/serve.png is one).
func TestServeInBrowser(t *testing.T) {
	ctx := newBrowser(t, 2*time.Minute) // about 20 s; the margin is for a loaded machine
	needData(t)
	test, err := mnist.LoadFiles(filepath.Join(realData, "t10k-images-idx3-ubyte.gz"), filepath.Join(realData, "t10k-labels-idx1-ubyte.gz"))
	require.NoError(t, err)
	var picks [10]int // the first test image of each class
	var have [10]bool
	for i, found := 0, 0; found < 10; i++ {
		if l := test.Labels[i]; !have[l] {
			picks[l], have[l] = i, true
			found++
		}
	}
	srv := newTestServer(t)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("pad"))))
	// the canvas's box in the viewport, measured after the click on Clear, which scrolls
	// the button into view when it is not
	canvasBox := func() [4]float64 {
		box, err := chromedp.Run(ctx, chromedp.Evaluate[[4]float64](`(() => { const r = document.getElementById("pad").getBoundingClientRect();
			return [r.left, r.top, r.width, r.height]; })()`))
		require.NoError(t, err)
		require.Greater(t, box[2], 100.0, "canvas box %v", box)
		return box
	}
	answered := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.vkcnn.answered`))
		require.NoError(t, err)
		return n
	}
	right := 0
	for label, i := range picks {
		before := answered()
		start := time.Now()
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("clear"))))
		touch := label%2 == 1 // odd digits with a finger, even ones with the mouse
		require.NoError(t, chromedp.Do(ctx, strokes(test.Image(i), canvasBox(), touch)), "test image %d", i)
		s, err := waitShown(ctx, before)
		require.NoError(t, err, "test image %d", i)
		t.Logf("test image %d (a %d, drawn with the %s): the page shows %q (bar %s, %s) after %v", i, label, map[bool]string{false: "mouse", true: "finger"}[touch], s.Digit, s.TopBar, s.TopPct, time.Since(start).Round(time.Millisecond))
		assert.Equal(t, s.Digit, s.TopBar, "the highlighted bar is not the digit shown")
		assert.True(t, s.Seen, "no 28×28 input shown")
		assert.Empty(t, s.Message)
		if s.Digit == strconv.Itoa(label) {
			right++
		}
		if label == 3 {
			if path := os.Getenv("VKCNN_SCREENSHOT"); path != "" {
				png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("body")))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(path, png, 0o644))
			}
		}
	}
	assert.GreaterOrEqual(t, right, 9, "digits drawn in the browser and classified right, of 10")

	upload := func(path string) shown {
		abs, err := filepath.Abs(path)
		require.NoError(t, err)
		before := answered()
		require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("file"), []string{abs})), path)
		s, err := waitShown(ctx, before)
		require.NoError(t, err, path)
		return s
	}
	s := upload("../../testdata/digits/2-test1.png")
	assert.Equal(t, shown{Digit: "2", TopBar: "2", TopPct: "100.0%", Seen: true}, s)
	s = upload("../../testdata/digits/README.md")
	assert.Equal(t, shown{Digit: "–", Message: "README.md: not a PNG, JPEG or GIF image"}, s)
}
