package pii

// A passport's machine-readable zone (ICAO 9303 TD3): two lines of 44
// characters of capitals, digits and '<', the first starting "P<", the
// second starting with the document number and its check digit. The
// number is the passport number wherever the MRZ is (a scan's OCR, a
// check-in system's log), with no context word near it: the zone's own
// check digits are its context.

const mrzLine = 44

// mrzAt reads a TD3 zone whose first line starts at i ("P<") and emits
// the passport number of its second line when the number's and the birth
// date's check digits hold.
func (s *scanner) mrzAt(i int) {
	text := s.text
	if i > 0 && text[i-1] != '\n' {
		return
	}
	l2 := i + mrzLine
	if l2 < len(text) && text[l2] == '\r' {
		l2++
	}
	if l2+1+mrzLine > len(text) || text[l2] != '\n' || !mrzChars(text[i:i+mrzLine]) {
		return
	}
	l2++
	line := text[l2 : l2+mrzLine]
	if !mrzChars(line) || (l2+mrzLine < len(text) && text[l2+mrzLine] != '\n' && text[l2+mrzLine] != '\r') {
		return
	}
	if mrzCheck(line[:9]) != line[9] || mrzCheck(line[13:19]) != line[19] {
		return
	}
	n := 9
	for n > 0 && line[n-1] == '<' {
		n--
	}
	digits := 0
	for _, c := range line[:n] {
		if c == '<' {
			return
		}
		if isDigit(c) {
			digits++
		}
	}
	if n < 6 || digits == 0 {
		return
	}
	s.match(TypePassport, CategoryGovernmentID, High, append(s.val[:0], line[:n]...), l2)
}

// mrzChars reports whether b is written in the MRZ's characters.
func mrzChars(b []byte) bool {
	for _, c := range b {
		if !isUpper(c) && !isDigit(c) && c != '<' {
			return false
		}
	}
	return true
}

// mrzCheck is ICAO 9303's check digit of b: weights 7, 3, 1; '<' is 0,
// A is 10.
func mrzCheck(b []byte) byte {
	w := [3]int{7, 3, 1}
	sum := 0
	for k, c := range b {
		d := 0
		switch {
		case isDigit(c):
			d = int(c - '0')
		case isUpper(c):
			d = int(c-'A') + 10
		}
		sum += d * w[k%3]
	}
	return byte('0' + sum%10)
}
