// Command predict is a program outside the vkcnn module that uses it only through go.mod:
// it loads a checkpoint written by `train -save` and classifies pictures of digits.
//
//	go run . MODEL.safetensors IMAGE...
package main

import (
	"fmt"
	"image"
	_ "image/gif" // registers GIF, JPEG and PNG for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"os"

	"github.com/vkcnn/vkcnn"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: predict MODEL.safetensors IMAGE...")
		os.Exit(2)
	}
	m, err := vkcnn.Load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "predict:", err)
		os.Exit(1)
	}
	status := 0
	for _, path := range os.Args[2:] {
		p, err := classify(m, path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "predict: %s: %v\n", path, err)
			status = 1
			continue
		}
		fmt.Printf("%s: %d (%.1f%%)\n", path, p.Digit, 100*p.Probs[p.Digit])
	}
	os.Exit(status)
}

func classify(m *vkcnn.Model, path string) (vkcnn.Prediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return vkcnn.Prediction{}, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return vkcnn.Prediction{}, err
	}
	return m.Predict(img)
}
