package stats

import (
	"encoding/binary"
	"math"
	"testing"
)

// Fuzz targets feed arbitrary float64 bit patterns (NaN, ±Inf, huge, tiny,
// subnormal, ±0, repeated values) and check that nothing panics and that
// every probability is in [0, 1], or NaN exactly where documented.

// decode turns fuzz bytes into float64 values, 8 bytes each.
func decode(data []byte) []float64 {
	out := make([]float64, 0, len(data)/8)
	for len(data) >= 8 {
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(data)))
		data = data[8:]
	}
	return out
}

func encode(xs ...float64) []byte {
	out := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
	}
	return out
}

// split cuts values in two at a point chosen by the fuzzer.
func split(vals []float64, at uint8) (x, y []float64) {
	i := 0
	if len(vals) > 0 {
		i = int(at) % (len(vals) + 1)
	}
	return vals[:i], vals[i:]
}

func seedSamples(f *testing.F) {
	nan, inf := math.NaN(), math.Inf(1)
	f.Add([]byte{}, uint8(0))
	f.Add(encode(1, 1, 1, 1, 1, 1), uint8(3))
	f.Add(encode(nan, nan, 1, 2, 3), uint8(2))
	f.Add(encode(inf, -inf, 1, 2, inf), uint8(2))
	f.Add(encode(math.MaxFloat64, -math.MaxFloat64, 1, math.MaxFloat64, 0), uint8(2))
	f.Add(encode(5e-324, 1e-310, 0, math.Copysign(0, -1), 5e-324), uint8(3))
	f.Add(encode(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.5), uint8(6))
	f.Add(encode(0, 0, 0, 1e300, 0, 0, 0, -1e300), uint8(4))
}

func hasFinite(x []float64) bool { return len(Finite(x)) > 0 }

func FuzzSummaries(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte, at uint8) {
		x := decode(data)
		fin := Finite(x)
		m := Median(x)
		if len(fin) == 0 {
			if !math.IsNaN(m) {
				t.Fatalf("median of nothing = %v", m)
			}
			return
		}
		lo, hi := fin[0], fin[0]
		for _, v := range fin {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		p := float64(at) / 255
		for name, v := range map[string]float64{"median": m, "quantile": Quantile(x, p)} {
			if !(v >= lo && v <= hi) {
				t.Fatalf("%s %v outside [%v, %v]", name, v, lo, hi)
			}
		}
		tr := Trim(x, p)
		if len(tr) < 1 || len(tr) > len(fin) {
			t.Fatalf("trim kept %d of %d", len(tr), len(fin))
		}
		if iqr := IQR(x); math.IsNaN(iqr) || iqr < 0 {
			t.Fatalf("IQR %v", iqr)
		}
		if d := MeanAbsDev(x); math.IsNaN(d) || d < 0 {
			t.Fatalf("MeanAbsDev %v", d)
		}
		if a := Autocorrelation(x, int(at%4)); !math.IsNaN(a) && !(a >= -1 && a <= 1) {
			t.Fatalf("autocorrelation %v", a)
		}
	})
}

func FuzzMannWhitney(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte, at uint8) {
		x, y := split(decode(data), at)
		r := MannWhitneyU(x, y)
		if !hasFinite(x) || !hasFinite(y) {
			if !math.IsNaN(r.P) {
				t.Fatalf("empty sample gave %+v", r)
			}
			return
		}
		for _, p := range []float64{r.P, r.PGreater, r.PLess} {
			if !inUnit(p) {
				t.Fatalf("p out of [0, 1]: %+v", r)
			}
		}
		if !(r.U >= 0 && r.U <= float64(r.N1*r.N2)) || math.IsNaN(r.Z) {
			t.Fatalf("U or Z out of range: %+v", r)
		}
		w := r.Inflate(1 + float64(at)/16)
		for _, p := range []float64{w.P, w.PGreater, w.PLess} {
			if !inUnit(p) {
				t.Fatalf("inflated p out of [0, 1]: %+v", w)
			}
		}
	})
}

func FuzzHodgesLehmann(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte, at uint8) {
		x, y := split(decode(data), at)
		conf := 0.5 + float64(at)/512
		s := HodgesLehmann(x, y, conf)
		if !hasFinite(x) || !hasFinite(y) {
			if !math.IsNaN(s.Estimate) {
				t.Fatalf("empty sample gave %+v", s)
			}
			return
		}
		if math.IsNaN(s.Lo) || math.IsNaN(s.Hi) || s.Lo > s.Hi {
			t.Fatalf("bad interval %+v", s)
		}
		// NaN is possible only as the midpoint of −Inf and +Inf.
		if !math.IsNaN(s.Estimate) && (s.Estimate < s.Lo || s.Estimate > s.Hi) {
			t.Fatalf("estimate outside interval %+v", s)
		}
		if math.IsNaN(s.Estimate) && !(math.IsInf(s.Lo, -1) && math.IsInf(s.Hi, 1)) {
			t.Fatalf("NaN estimate %+v", s)
		}
	})
}

func FuzzBrownForsythe(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, data []byte, at uint8) {
		x, y := split(decode(data), at)
		r := BrownForsythe(x, y)
		nx, ny := len(Finite(x)), len(Finite(y))
		if nx == 0 || ny == 0 || nx+ny <= 2 {
			if !math.IsNaN(r.P) {
				t.Fatalf("degenerate groups gave %+v", r)
			}
			return
		}
		if !inUnit(r.P) || math.IsNaN(r.F) || r.F < 0 {
			t.Fatalf("out of range: %+v (x=%v y=%v)", r, x, y)
		}
	})
}

func FuzzRates(f *testing.F) {
	f.Add(int64(3), int64(10000), int64(0), int64(10000), 1.0)
	f.Add(int64(0), int64(0), int64(0), int64(0), 1.0)
	f.Add(int64(5), int64(5), int64(5), int64(5), 1.1)
	f.Add(int64(-1), int64(5), int64(7), int64(3), math.NaN())
	f.Add(int64(1), int64(1000000), int64(0), int64(1), math.Inf(1))
	f.Add(int64(500000), int64(1000000), int64(499000), int64(1000000), 1e-300)
	f.Add(int64(MaxCount/2), int64(MaxCount/2), int64(1), int64(MaxCount/2), 2.0)
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), int64(0), int64(math.MaxInt64), 1.0)
	f.Fuzz(func(t *testing.T, e1, n1, e2, n2 int64, factor float64) {
		valid := e1 >= 0 && e2 >= 0 && e1 <= n1 && e2 <= n2 && n1 <= MaxCount && n2 <= MaxCount
		r := FisherExact(e1, n1, e2, n2)
		if valid && n1+n2 > 0 && n1+n2 <= MaxCount {
			for _, p := range []float64{r.P, r.PGreater, r.PLess} {
				if !inUnit(p) {
					t.Fatalf("Fisher p out of range: %+v", r)
				}
			}
		} else if !math.IsNaN(r.P) {
			t.Fatalf("invalid counts gave %+v", r)
		}
		p := RateProbGreater(e1, n1, e2, n2, factor)
		if valid && n1 > 0 && n2 > 0 && factor > 0 && !math.IsInf(factor, 1) {
			if !inUnit(p) {
				t.Fatalf("probability out of range: %v", p)
			}
		} else if !math.IsNaN(p) {
			t.Fatalf("invalid input gave %v", p)
		}
		lo, hi := RateDiffInterval(e1, n1, e2, n2, 0.95)
		if valid && n1 > 0 && n2 > 0 && !(lo >= -1 && hi <= 1 && lo <= hi) {
			t.Fatalf("interval [%v, %v]", lo, hi)
		}
	})
}
