package cpu

const errSumSGDLen = "cpu: sumSGD: the slices differ in length"

// sumSGD takes the SGD step of SGDUpdate on w (and v) with the gradient g[i] = Σ_c parts[c][i],
// summed in increasing c from parts[0][i] (the engine's chunk gradients in chunk order):
// with momentum μ = 0, w[i] −= lr·g[i]; else v[i] = μ·v[i] + g[i] and w[i] −= lr·v[i]. One
// pass over the parts, without writing g; the same bits as summing g into its own slice
// and calling SGDUpdate. v may be empty when μ = 0.
func sumSGD(w, v []float32, parts [][]float32, lr, momentum float32) {
	if len(parts) == 0 {
		panic(errSumSGDLen)
	}
	for _, p := range parts {
		if len(p) != len(w) {
			panic(errSumSGDLen)
		}
	}
	if momentum != 0 && len(v) != len(w) {
		panic(errSumSGDLen)
	}
	k := sumSGDSIMD(w, v, parts, lr, momentum) // the first k values
	for i := k; i < len(w); i++ {
		g := parts[0][i]
		for _, p := range parts[1:] {
			g += p[i]
		}
		if momentum == 0 {
			w[i] -= lr * g
			continue
		}
		vi := momentum*v[i] + g
		v[i] = vi
		w[i] -= lr * vi
	}
}
