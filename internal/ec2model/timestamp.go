package ec2model

// isTimestamp reports whether v is an ISO 8601 date-time in the extended
// format, which is what botocore sends (2015-01-25T08:00:00Z, with
// .ffffff when sub-second) and what EC2's documentation asks for
// (YYYY-MM-DDTHH:MM:SSZ). EC2 answers "Must be in ISO8601 format" to the
// basic format 20130524T030202Z (aws/aws-sdk-java#74), so only the extended
// one is accepted, in the forms an ISO parser takes:
//
//	YYYY-MM-DD
//	YYYY-MM-DDThh:mm[:ss[.fraction]]
//
// each optionally followed by a zone: Z, ±hh:mm, ±hhmm or ±hh. It does not
// allocate.
func isTimestamp(v string) bool {
	// Date.
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	y, ok1 := num(v[0:4])
	mo, ok2 := num(v[5:7])
	d, ok3 := num(v[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return false
	}
	v = v[10:]
	if v == "" {
		return true
	}
	// Time.
	if v[0] != 'T' || len(v) < 6 || v[3] != ':' {
		return false
	}
	h, ok1 := num(v[1:3])
	mi, ok2 := num(v[4:6])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return false
	}
	v = v[6:]
	if len(v) >= 3 && v[0] == ':' {
		sec, ok := num(v[1:3])
		if !ok || sec > 59 {
			return false
		}
		v = v[3:]
		if len(v) >= 2 && (v[0] == '.' || v[0] == ',') {
			i := 1
			for i < len(v) && v[i] >= '0' && v[i] <= '9' {
				i++
			}
			if i == 1 {
				return false
			}
			v = v[i:]
		}
	}
	// Zone.
	switch {
	case v == "" || v == "Z":
		return true
	case v[0] != '+' && v[0] != '-':
		return false
	}
	v = v[1:]
	var zh, zm int
	var ok bool
	switch len(v) {
	case 2:
		zh, ok = num(v)
	case 4:
		var ok2 bool
		zh, ok = num(v[:2])
		zm, ok2 = num(v[2:])
		ok = ok && ok2
	case 5:
		var ok2 bool
		zh, ok = num(v[:2])
		zm, ok2 = num(v[3:])
		ok = ok && ok2 && v[2] == ':'
	}
	return ok && zh <= 23 && zm <= 59
}

// num parses a run of ASCII digits.
func num(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
