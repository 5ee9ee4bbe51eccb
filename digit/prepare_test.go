package digit_test

import (
	"image"
	"image/color"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/draw"

	"github.com/vkcnn/vkcnn/digit"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/mnist"
)

// testSet is MNIST's test set, skipped without the data (failed with VKCNN_REQUIRE_DATA=1).
func testSet(t *testing.T) *mnist.Dataset {
	t.Helper()
	const dir = "../data/mnist/"
	if _, err := os.Stat(dir + mnist.TestImagesFile + ".gz"); err != nil {
		if os.Getenv("VKCNN_REQUIRE_DATA") == "1" {
			t.Fatalf("real MNIST needed: %v", err)
		}
		t.Skip("no MNIST; run make data")
	}
	d, err := mnist.LoadFiles(dir+mnist.TestImagesFile+".gz", dir+mnist.TestLabelsFile+".gz")
	require.NoError(t, err)
	return d
}

// render draws the 28×28 image x as a scale× larger dark-on-light digit (ink black, paper
// white, bilinear) at (ox, oy) on a white w×h canvas.
func render(x []float32, scale, ox, oy, w, h int) *image.Gray {
	small := image.NewGray(image.Rect(0, 0, 28, 28))
	for i, v := range x {
		small.Pix[i] = uint8(math.Round(255 * float64(1-v)))
	}
	big := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(big, big.Bounds(), image.White, image.Point{}, draw.Src)
	draw.BiLinear.Scale(big, image.Rect(ox, oy, ox+28*scale, oy+28*scale), small, small.Bounds(), draw.Src, nil)
	return big
}

// centre is the centre of mass Σ v·(x, y) / Σ v of a 28×28 image, in pixel indices.
func centre(x []float32) (cx, cy float64) {
	var sum float64
	for i, v := range x {
		sum += float64(v)
		cx += float64(v) * float64(i%28)
		cy += float64(v) * float64(i/28)
	}
	return cx / sum, cy / sum
}

// recentred is the 28×28 image x moved, by bilinear interpolation, so that its centre of
// mass is at pixel (14, 14) exactly: MNIST centred its digits to the whole pixel, Prepare
// does not.
func recentred(x []float32) []float32 {
	cx, cy := centre(x)
	dx, dy := 14-cx, 14-cy
	at := func(i, j int) float64 {
		if i < 0 || j < 0 || i >= 28 || j >= 28 {
			return 0
		}
		return float64(x[j*28+i])
	}
	out := make([]float32, 784)
	for j := 0; j < 28; j++ {
		for i := 0; i < 28; i++ {
			sx, sy := float64(i)-dx, float64(j)-dy
			i0, j0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(i0), sy-float64(j0)
			out[j*28+i] = float32((1-fy)*((1-fx)*at(i0, j0)+fx*at(i0+1, j0)) + fy*((1-fx)*at(i0, j0+1)+fx*at(i0+1, j0+1)))
		}
	}
	return out
}

func meanAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += math.Abs(float64(a[i] - b[i]))
	}
	return d / float64(len(a))
}

// TestPrepareRecoversMNIST draws MNIST test digits 10× larger, black on white, off-centre
// on a 400×400 page, and checks that Prepare gives back the original: the centre of mass
// at pixel (14, 14) ± 0.1 (measured: within 0.04; MNIST's own are ±0.5 off, and half a
// pixel is what costs a point of accuracy), and a mean |difference| per pixel from the
// original (moved to put its centre of mass exactly at (14, 14)) below 0.02 over 200
// digits, below 0.06 for each. Measured: 0.0078 and at worst 0.033, the blur of
// resampling up 10× and down again; the same digits scaled to 18 px instead of 20 give
// 0.042, to 22 px 0.054.
func TestPrepareRecoversMNIST(t *testing.T) {
	test := testSet(t)
	const n = 200
	var total, worst, off float64
	for i := 0; i < n; i++ {
		orig := test.Image(i)
		ox, oy := 10+(i*37)%110, 5+(i*53)%115 // the digit anywhere in the page's top-left
		got, err := digit.Prepare(render(orig, 10, ox, oy, 400, 400))
		require.NoError(t, err, "digit %d", i)
		require.Len(t, got, 784)
		cx, cy := centre(got)
		assert.InDelta(t, 14, cx, 0.1, "digit %d: centre of mass x", i)
		assert.InDelta(t, 14, cy, 0.1, "digit %d: centre of mass y", i)
		off = max(off, math.Abs(cx-14), math.Abs(cy-14))
		d := meanAbsDiff(got, recentred(orig))
		assert.Less(t, d, 0.06, "digit %d: mean |diff| per pixel", i)
		total += d
		worst = max(worst, d)
	}
	t.Logf("mean |diff| per pixel over %d digits: %.4f (worst digit %.4f); centres of mass at most %.3f px from (14, 14)", n, total/n, worst, off)
	assert.Less(t, total/n, 0.02)
}

// TestMNISTCentres: MNIST's test digits have their centre of mass at pixel (14, 14) to
// the whole pixel (within ±0.5 in pixel indices, 0.5 on average from it in each axis),
// the convention Prepare follows.
func TestMNISTCentres(t *testing.T) {
	test := testSet(t)
	var mx, my float64
	for i := 0; i < test.N; i++ {
		cx, cy := centre(test.Image(i))
		mx += cx
		my += cy
		require.InDelta(t, 14, cx, 0.5+1e-3, "test image %d", i)
		require.InDelta(t, 14, cy, 0.5+1e-3, "test image %d", i)
	}
	t.Logf("mean centre of mass of the %d test digits: (%.3f, %.3f)", test.N, mx/float64(test.N), my/float64(test.N))
}

// TestPrepareLightOnDark: a white-on-black digit is not inverted, and gives what its
// black-on-white twin gives.
func TestPrepareLightOnDark(t *testing.T) {
	test := testSet(t)
	dark := render(test.Image(0), 6, 40, 20, 240, 200)
	light := image.NewGray(dark.Bounds())
	for i, p := range dark.Pix {
		light.Pix[i] = 255 - p
	}
	a, err := digit.Prepare(dark)
	require.NoError(t, err)
	b, err := digit.Prepare(light)
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(a, b), 1e-3)
	assert.Less(t, meanAbsDiff(a, recentred(test.Image(0))), 0.03)
}

// TestPrepareGreyPaperAndColour: grey paper with a blue pen, transparent pixels as paper.
func TestPrepareGreyPaperAndColour(t *testing.T) {
	test := testSet(t)
	ref := render(test.Image(1), 8, 30, 30, 300, 300)
	img := image.NewNRGBA(ref.Bounds())
	for i, p := range ref.Pix {
		ink := 1 - float64(p)/255
		// paper (200,200,190), ink (20,30,120): a photo-like pair
		img.Pix[4*i+0] = uint8(200 - ink*180)
		img.Pix[4*i+1] = uint8(200 - ink*170)
		img.Pix[4*i+2] = uint8(190 - ink*70)
		img.Pix[4*i+3] = 255
	}
	got, err := digit.Prepare(img)
	require.NoError(t, err)
	want, err := digit.Prepare(ref)
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(got, want), 0.01, "grey paper and a blue pen")

	clear(img.Pix) // fully transparent: paper
	for i, p := range ref.Pix {
		img.Pix[4*i+3] = 255 - p // black ink, opaque where the stroke is
	}
	got, err = digit.Prepare(img)
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(got, want), 0.01, "black strokes on a transparent canvas")
}

// photo is the page of render(x, 10, ox, oy, 400, 400) as a phone photographs it: the
// light falling on the page decreasing linearly from 0.95 at the top-left corner to lo at
// the bottom-right, the paper reflecting all of it and the ink a quarter, plus uniform
// noise of ±noise on every pixel.
func photo(x []float32, ox, oy int, lo, noise float64, src *rng.Source) *image.Gray {
	page := render(x, 10, ox, oy, 400, 400)
	out := image.NewGray(page.Bounds())
	for i, p := range page.Pix {
		ink := 1 - float64(p)/255
		light := 0.95 - (0.95-lo)*float64(i%400+i/400)/798
		v := light*(1-0.75*ink) + noise*(2*float64(src.Float32())-1)
		out.Pix[i] = uint8(math.Max(0, math.Min(255, math.Round(255*v))))
	}
	return out
}

// TestPreparePhotoOfPaper: a digit photographed on unevenly lit paper (the light falling
// from 0.95 to 0.45 across the page, noise ±0.02) gives what the clean drawing gives: mean
// |difference| per pixel below 0.015 over 50 digits. Measured: 0.009 with the paper fitted
// as a plane and ink as the fraction of the local light it absorbs; ink as the luma below
// the paper (not a fraction) leaves strokes in the dark corner faint, 0.025; a flat paper
// level (the plane's mean) leaves the lighter part of the field grey, 0.10.
func TestPreparePhotoOfPaper(t *testing.T) {
	test := testSet(t)
	src := rng.New(1)
	const n = 50
	var total float64
	for i := 0; i < n; i++ {
		ox, oy := (i*37)%121, (i*53)%121
		want, err := digit.Prepare(render(test.Image(i), 10, ox, oy, 400, 400))
		require.NoError(t, err)
		got, err := digit.Prepare(photo(test.Image(i), ox, oy, 0.45, 0.02, src))
		require.NoError(t, err, "digit %d", i)
		total += meanAbsDiff(got, want)
	}
	t.Logf("mean |diff| per pixel, photo against drawing, over %d digits: %.4f", n, total/n)
	assert.Less(t, total/n, 0.015)
}

// TestPrepareKeepsTheBoxInside: a digit whose ink sits at one end of its box (an L of a
// thick bar and a thin stroke, in its four orientations) is moved inside the field rather
// than cut: all 20 rows and 20 columns of its box
// keep their ink.
func TestPrepareKeepsTheBoxInside(t *testing.T) {
	bar := []image.Rectangle{image.Rect(10, 10, 30, 90), image.Rect(70, 10, 90, 90), image.Rect(10, 10, 90, 30), image.Rect(10, 70, 90, 90)}
	stroke := []image.Rectangle{image.Rect(30, 86, 90, 90), image.Rect(10, 10, 70, 14), image.Rect(86, 30, 90, 90), image.Rect(10, 10, 14, 70)}
	for k := range bar {
		img := image.NewGray(image.Rect(0, 0, 100, 100))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(img, bar[k], image.Black, image.Point{}, draw.Src)
		draw.Draw(img, stroke[k], image.Black, image.Point{}, draw.Src)
		got, err := digit.Prepare(img)
		require.NoError(t, err)
		cols, rows := 0, 0
		for i := 0; i < 28; i++ {
			var c, r float32
			for j := 0; j < 28; j++ {
				c = max(c, got[j*28+i])
				r = max(r, got[i*28+j])
			}
			if c >= 0.5 {
				cols++
			}
			if r >= 0.5 {
				rows++
			}
		}
		assert.Equal(t, 20, rows, "L %d: rows with ink", k)
		assert.Equal(t, 20, cols, "L %d: columns with ink", k)
	}
}

// TestPrepareErrors: no pixels, one flat shade, noise below MinContrast.
func TestPrepareErrors(t *testing.T) {
	_, err := digit.Prepare(image.NewGray(image.Rect(3, 3, 3, 10)))
	assert.ErrorIs(t, err, digit.ErrEmpty)
	white := image.NewGray(image.Rect(0, 0, 50, 40))
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	_, err = digit.Prepare(white)
	assert.ErrorIs(t, err, digit.ErrBlank)
	_, err = digit.Prepare(image.NewGray(image.Rect(0, 0, 1, 1)))
	assert.ErrorIs(t, err, digit.ErrBlank)
	faint := image.NewGray(image.Rect(0, 0, 50, 40))
	draw.Draw(faint, faint.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(faint, image.Rect(20, 10, 25, 30), image.NewUniform(color.Gray{Y: 255 - 40}), image.Point{}, draw.Src)
	_, err = digit.Prepare(faint)
	assert.ErrorIs(t, err, digit.ErrBlank, "a stroke 40 grey levels from the paper")
	draw.Draw(faint, image.Rect(20, 10, 25, 30), image.NewUniform(color.Gray{Y: 255 - 60}), image.Point{}, draw.Src)
	_, err = digit.Prepare(faint)
	assert.NoError(t, err, "a stroke 60 grey levels from the paper")
}
