// Package digit turns a picture of one handwritten digit — a scan, a photo of paper, a
// drawing at any size — into the 28×28 grey image an MNIST network expects, made the way
// MNIST's own images were made (LeCun et al.: NIST's digits "size normalized to fit in a
// 20x20 pixel box while preserving their aspect ratio", anti-aliased, then "centered in a
// 28x28 image by computing the center of mass of the pixels").
//
// # Steps
//
//  1. Grey: the luma of Rec. 601, v = 0.299·R + 0.587·G + 0.114·B in 0..1, of each pixel
//     composited over white paper (a transparent pixel is paper).
//  2. Ink is light: MNIST's digits are white (1) on black (0). The background level is the
//     median of the image's border pixels (the outermost rows and columns: a median, so a
//     stroke or a shadow touching the border does not move it); when it is above 0.5 the
//     picture is dark-on-light and every value becomes 1 − v.
//  3. Stretch: s = clamp((v − bg) / (peak − bg), 0, 1), bg the border median and peak the
//     largest value, so that paper is 0 and the darkest stroke 1, as in MNIST. A picture
//     whose peak is less than MinContrast above its background has no ink: ErrBlank.
//  4. Crop to the ink's bounding box: the pixels with s ≥ InkThreshold.
//  5. Scale by f = BoxSize / max(box width, box height), aspect kept, anti-aliased
//     (Catmull–Rom, its support stretched by 1/f when shrinking, from golang.org/x/image/draw),
//     so that the box's longer side is 20 px. The faint edge just outside the box is
//     resampled with it.
//  6. Place in 28×28 so that the centre of mass of the ink (measured on the source, over
//     the box and its margin) lands on the centre of pixel (14, 14): in pixel indices,
//     Σ s·(x, y) / Σ s = (14, 14), where MNIST's own centres are (its test set: 14 ± 0.5
//     in both, from centring to the whole pixel; pixel 14, not the field's middle edge at
//     13.5, which costs a network trained on MNIST about a point of accuracy). When that
//     would push the box over an edge (a digit whose mass sits far from the middle of its
//     box), the image is moved just enough to keep the box inside.
//
// The result is 784 float32 values in 0..1, row-major, what model.MNISTInput and the
// training data hold.
package digit
