package mnist

// Dataset is a set of labelled grey images: Images holds N images of H×W values in 0..1
// (pixel/255), row-major, image after image; Labels holds N class indices.
type Dataset struct {
	Images  []float32
	Labels  []uint8
	N, H, W int
}

// Image returns the i-th image, H·W values.
func (d *Dataset) Image(i int) []float32 { return d.Images[i*d.H*d.W : (i+1)*d.H*d.W] }

// Head returns a view of the first n samples (no copy).
func (d *Dataset) Head(n int) *Dataset {
	return &Dataset{Images: d.Images[:n*d.H*d.W], Labels: d.Labels[:n], N: n, H: d.H, W: d.W}
}
