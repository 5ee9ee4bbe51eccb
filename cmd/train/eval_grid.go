package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The -errors grid: gridCols×gridRows cells, each a test digit drawn cellScale× (white ink
// on black, as the network sees it) above a caption line.
const (
	gridCols  = 8
	gridRows  = 8
	gridCells = gridCols * gridRows
	cellScale = 3
	cellPad   = 4
	captionH  = 14 // basicfont.Face7x13's height plus a pixel
)

// sortWorst orders misclassified samples by the probability of their true digit, lowest
// first (then by index, so the order is total).
func sortWorst(s []sample) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].PTrue != s[j].PTrue {
			return s[i].PTrue < s[j].PTrue
		}
		return s[i].Index < s[j].Index
	})
}

// writeErrorGrid writes the report's worst-classified test digits as a PNG grid, in
// reading order, each captioned "#INDEX" and "T>P NN%": true digit T, predicted P, and the
// probability given to P.
func writeErrorGrid(path string, r *evalReport) error {
	n := min(len(r.worst), gridCells)
	side := 28 * cellScale
	cw, ch := side+2*cellPad, side+2*captionH+2*cellPad
	cols := max(1, min(n, gridCols))
	rows := max(1, (n+gridCols-1)/gridCols)
	img := image.NewRGBA(image.Rect(0, 0, cols*cw, rows*ch))
	for i := range img.Pix {
		img.Pix[i] = 0x30 // dark grey background
		if i%4 == 3 {
			img.Pix[i] = 0xff
		}
	}
	d := &font.Drawer{Dst: img, Face: basicfont.Face7x13}
	for k, s := range r.worst[:n] {
		x0, y0 := (k%gridCols)*cw+cellPad, (k/gridCols)*ch+cellPad
		pix := r.images.Image(s.Index)
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				v := uint8(255*pix[(y/cellScale)*28+x/cellScale] + 0.5)
				img.SetRGBA(x0+x, y0+y, color.RGBA{v, v, v, 255})
			}
		}
		d.Src = image.NewUniform(color.RGBA{0xc0, 0xc0, 0xc0, 0xff})
		d.Dot = fixed.P(x0, y0+side+captionH-2)
		d.DrawString(fmt.Sprintf("#%d", s.Index))
		d.Src = image.NewUniform(color.RGBA{0xff, 0xd0, 0x40, 0xff})
		d.Dot = fixed.P(x0, y0+side+2*captionH-2)
		d.DrawString(fmt.Sprintf("%d>%d %.0f%%", s.True, s.Pred, 100*s.PPred))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o666)
}
