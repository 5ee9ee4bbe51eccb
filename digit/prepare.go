package digit

import (
	"errors"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

const (
	// Size is the side of the prepared image, MNIST's 28.
	Size = 28
	// BoxSize is the longer side of the ink's bounding box once scaled, MNIST's 20.
	BoxSize = 20
	// InkThreshold is the stretched value from which a pixel counts as ink for the bounding
	// box: half-way between paper and the darkest stroke, where the edge of the bilevel
	// NIST digit that MNIST's 20-px box was fitted to lies once anti-aliased.
	InkThreshold = 0.5
	// MinContrast is the least ink of the darkest stroke for a picture to hold a digit: on
	// paper, the fraction of the light it absorbs (0.2: 51 of 255 grey levels below white);
	// on a dark ground, its luma above the ground. Far above the noise of a photo of blank
	// paper or a JPEG's artefacts.
	MinContrast = 0.2
)

var (
	// ErrEmpty is the error of an image without pixels.
	ErrEmpty = errors.New("the image has no pixels")
	// ErrBlank is the error of a picture without ink: one flat shade, or nothing that
	// stands MinContrast out of the background.
	ErrBlank = errors.New("no digit: the image is blank (nothing stands out of its background)")
)

// Prepare returns img as MNIST's 28×28 grey values (see the package doc): 784 values in
// 0..1, row-major, ink 1 on a background of 0.
func Prepare(img image.Image) ([]float32, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, ErrEmpty
	}
	v := luma(img)
	bg := fitPaper(v, w, h)
	// Dark ink on light paper: the light a pixel sends back is the light falling on it
	// (the paper's level there) times the ink's reflectance, so its ink is 1 − v/paper,
	// the same stroke the same value under any light. Light ink on a dark ground (a
	// blackboard, MNIST itself): v − ground.
	light := bg.at((w-1)/2, (h-1)/2) > 0.5
	var peak float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := bg.at(x, y)
			ink := float64(v[y*w+x]) - p
			if light {
				ink = -ink / max(p, MinContrast) // the plane may dip in a corner: no blow-up
			}
			v[y*w+x] = float32(ink)
			peak = max(peak, ink)
		}
	}
	if peak < MinContrast {
		return nil, ErrBlank
	}
	for i, ink := range v {
		v[i] = float32(min(max(float64(ink)/peak, 0), 1))
	}
	box := inkBox(v, w, h)
	f := BoxSize / float64(max(box.Dx(), box.Dy()))
	// The margin around the box that the filter reaches: Catmull–Rom's support of 2
	// destination pixels is 2/f source pixels when shrinking, 2 when enlarging.
	m := int(math.Ceil(2*max(1, 1/f))) + 1
	r := image.Rect(box.Min.X-m, box.Min.Y-m, box.Max.X+m, box.Max.Y+m).Intersect(image.Rect(0, 0, w, h))
	src := image.NewGray16(r)
	var sum, sx, sy float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			s := float64(v[y*w+x])
			sum += s
			sx += s * (float64(x) + 0.5)
			sy += s * (float64(y) + 0.5)
			src.SetGray16(x, y, color.Gray16{Y: uint16(math.Round(s * 0xffff))})
		}
	}
	// dst = f·(src − centre of mass) + the centre of pixel (14, 14), moved back inside when
	// the box would leave the field.
	const c = Size/2 + 0.5
	tx := place(c-f*sx/sum, f, box.Min.X, box.Max.X)
	ty := place(c-f*sy/sum, f, box.Min.Y, box.Max.Y)
	dst := image.NewGray16(image.Rect(0, 0, Size, Size))
	draw.CatmullRom.Transform(dst, f64.Aff3{f, 0, tx, 0, f, ty}, src, r, draw.Src, nil)
	out := make([]float32, Size*Size)
	for i := range out {
		out[i] = float32(dst.Gray16At(i%Size, i/Size).Y) / 0xffff
	}
	return out, nil
}

// luma is img's Rec. 601 luma in 0..1 over white, row-major from its bounds' corner.
func luma(img image.Image) []float32 {
	b := img.Bounds()
	v := make([]float32, b.Dx()*b.Dy())
	rgba64, fast := img.(image.RGBA64Image)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var r, g, bl, a uint32
			if fast {
				c := rgba64.RGBA64At(x, y)
				r, g, bl, a = uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
			} else {
				r, g, bl, a = img.At(x, y).RGBA()
			}
			paper := float64(0xffff - a) // premultiplied colour over white
			v[i] = float32((0.299*(float64(r)+paper) + 0.587*(float64(g)+paper) + 0.114*(float64(bl)+paper)) / 0xffff)
			i++
		}
	}
	return v
}

// inkBox is the bounding box of the values ≥ InkThreshold (there is one: the peak is 1).
func inkBox(v []float32, w, h int) image.Rectangle {
	box := image.Rectangle{Min: image.Pt(w, h)} // empty; image.Rect would swap the corners
	for y := 0; y < h; y++ {
		for x, s := range v[y*w : (y+1)*w] {
			if s >= InkThreshold {
				box.Min.X, box.Max.X = min(box.Min.X, x), max(box.Max.X, x+1)
				box.Min.Y, box.Max.Y = min(box.Min.Y, y), max(box.Max.Y, y+1)
			}
		}
	}
	return box
}

// place returns the translation t of dst = f·src + t along one axis, moved by the least
// amount that keeps the box [lo, hi) of the source inside [0, Size).
func place(t, f float64, lo, hi int) float64 {
	if a := f*float64(lo) + t; a < 0 {
		return t - a
	}
	if b := f*float64(hi) + t; b > Size {
		return t - (b - Size)
	}
	return t
}
