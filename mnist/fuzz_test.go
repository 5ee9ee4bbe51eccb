package mnist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// seeds adds every fixture and a few hand-made files to the fuzz corpus.
func seeds(f *testing.F, extra ...[]byte) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*"))
	require.NoError(f, err)
	require.NotEmpty(f, paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	for _, b := range extra {
		f.Add(b)
		f.Add(gz(b))
	}
}

// FuzzReadImages: any input either fails with an error or yields a consistent Dataset;
// for a raw input that succeeds, re-encoding the result gives the input back.
func FuzzReadImages(f *testing.F) {
	seeds(f, imagesFile(2, 3, 4, 0), idx(ImagesMagic, []int{60000, 28, 28}, nil), labelsFile(1))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadImages(bytes.NewReader(data), "fuzz")
		if err != nil {
			require.Nil(t, d)
			require.Contains(t, err.Error(), "mnist: fuzz: ")
			return
		}
		require.Len(t, d.Images, d.N*d.H*d.W)
		raw := make([]byte, len(d.Images))
		for i, v := range d.Images {
			raw[i] = byte(v*255 + 0.5)
			require.Equal(t, pixelValue[raw[i]], v)
		}
		if len(data) > 0 && data[0] == 0 { // raw IDX, not gzip
			require.Equal(t, data, idx(ImagesMagic, []int{d.N, d.H, d.W}, raw))
		}
	})
}

// FuzzReadLabels: as FuzzReadImages, for label files.
func FuzzReadLabels(f *testing.F) {
	seeds(f, labelsFile(1, 2, 3), idx(LabelsMagic, []int{60000}, nil), imagesFile(1, 1, 1, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ReadLabels(bytes.NewReader(data), "fuzz")
		if err != nil {
			require.Nil(t, labels)
			require.Contains(t, err.Error(), "mnist: fuzz: ")
			return
		}
		for _, l := range labels {
			require.Less(t, l, uint8(Classes))
		}
		if len(data) > 0 && data[0] == 0 {
			require.Equal(t, data, labelsFile(labels...))
		}
	})
}
