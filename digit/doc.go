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
//  2. Paper: the background's luma across the picture, a plane a + b·x + c·y fitted by
//     least squares to the picture's border (its outermost rows and columns), so that a
//     photo's uneven light is followed; a picture under 3 pixels wide or high gets its
//     border's median.
//  3. Ink is light: MNIST's digits are white (1) on black (0). Where the paper is light
//     (above 0.5 at the centre: dark ink on paper), a pixel's ink is the fraction of the
//     light falling there that it absorbs, 1 − v/paper, so that one stroke has one value
//     under any light; on a dark ground (light ink, MNIST itself) it is v − ground. Ink is
//     then stretched, s = clamp(ink / peak, 0, 1) with peak the largest, so that paper is 0
//     and the darkest stroke 1, as in MNIST. A picture whose peak is below MinContrast has
//     no ink: ErrBlank.
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
// training data hold. The picture should hold the digit alone: anything else darker than
// the paper (a table's edge, a ruled line, a shadow) is ink too, and joins the box.
package digit
