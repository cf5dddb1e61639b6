package server

import (
	"encoding/json"
	"math"
	"strconv"
)

// appendJSONString appends s encoded as a JSON string, as encoding/json
// encodes it: with <, > and & escaped and invalid UTF-8 replaced.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(dst, quoted...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendJSONFloat appends f as encoding/json encodes a float64. ok is false
// for NaN and the infinities, which JSON cannot encode.
func appendJSONFloat(dst []byte, f float64) (out []byte, ok bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	// encoding/json writes the shortest decimal without an exponent in
	// this range, and uses exponents outside it.
	if abs := math.Abs(f); abs == 0 || abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64), true
	}
	data, err := json.Marshal(f)
	if err != nil {
		return dst, false
	}
	return append(dst, data...), true
}
