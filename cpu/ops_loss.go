package cpu

import "math"

const (
	errLossLen   = "cpu: SoftmaxCrossEntropy: a slice length does not match n and k"
	errLossLabel = "cpu: SoftmaxCrossEntropy: a label is outside [0, k)"
	errSGDLen    = "cpu: SGDUpdate: the slices differ in length"
)

// SoftmaxCrossEntropy computes, for every sample n of logits z (N,K) with label y_n,
//
//	loss[n]      = log Σ_k e^{z[n,k]−m_n} − (z[n,y_n]−m_n),   m_n = max_k z[n,k]
//	dLogits[n,k] = (e^{z[n,k]−m_n} / Σ_k' e^{z[n,k']−m_n} − [k = y_n])·scale
//	correct[n]   = 1 if the first maximum of z_n is at y_n, else 0.
//
// Subtracting the maximum keeps every exponent ≤ 0; the differences z−m are float32, the
// exponentials, their sum and the logarithm float64, each result rounded once to float32.
// scale is 1/batch for the gradient of the mean loss.
func SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) {
	if n < 0 || k < 1 || len(loss) != n || len(dLogits) != n*k || len(correct) != n || len(logits) != n*k || len(labels) != n {
		panic(errLossLen)
	}
	for s := range n {
		z := logits[s*k : (s+1)*k]
		g := dLogits[s*k : (s+1)*k]
		y := int(labels[s])
		if y < 0 || y >= k {
			panic(errLossLabel)
		}
		best := 0
		for j, v := range z {
			if v > z[best] {
				best = j
			}
		}
		m := z[best]
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v - m))
		}
		loss[s] = float32(math.Log(sum) - float64(z[y]-m))
		for j, v := range z {
			p := math.Exp(float64(v-m)) / sum
			if j == y {
				p--
			}
			g[j] = float32(p * float64(scale))
		}
		correct[s] = 0
		if best == y {
			correct[s] = 1
		}
	}
}

// SGDUpdate takes one step of stochastic gradient descent on w with gradient g: with
// momentum μ = 0, w[i] −= lr·g[i] and v is left alone (it may be empty); else
// v[i] = μ·v[i] + g[i] and w[i] −= lr·v[i] (torch.optim.SGD without dampening).
func SGDUpdate(w, v, g []float32, lr, momentum float32) {
	if len(g) != len(w) {
		panic(errSGDLen)
	}
	g = g[:len(w)]
	if momentum == 0 {
		for i, d := range g {
			w[i] -= lr * d
		}
		return
	}
	if len(v) != len(w) {
		panic(errSGDLen)
	}
	v = v[:len(w)]
	for i, d := range g {
		vi := momentum*v[i] + d
		v[i] = vi
		w[i] -= lr * vi
	}
}
