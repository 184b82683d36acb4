package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRound6Rules checks the rules the sixth held-out round added, each
// with a counter-case: home addresses after residence phrases, a
// passport's machine-readable zone, triple-quoted values, paths under
// password keys, multilingual form labels, applicant keys, redis's
// password directives, PAM's service:facility.
func TestRound6Rules(t *testing.T) {
	d := NewDefault()
	const mrz1 = "P<D<<BRANDT<<JULIA<MARIE<<<<<<<<<<<<<<<<<<<<"
	mrzLine2 := func(num string) string {
		l := num + string(mrzCheck([]byte(num))) + "D<<" + "640812" + string(mrzCheck([]byte("640812"))) + "F3402280"
		for len(l) < 44 {
			l += "<"
		}
		return l
	}
	mrz2, mrzNoDigits := mrzLine2("CF4R7TZ21"), mrzLine2("ABCDEFGHJ")
	texts := []struct {
		name, text string
		want       []string
	}{
		{"residing at, US ZIP", "I, Daniel Whitaker, residing at 4417 Maple Avenue, Apt 2B, Columbus, OH 43214, authorize", []string{TypePostalAddress}},
		{"demeurant, French postcode", "Camille Durand, demeurant 18 rue Victor Hugo, 69002 Lyon, déclare", []string{TypePostalAddress}},
		{"con domicilio en", "Javier Morales, con domicilio en Calle de Toledo 72, 4º izq., 28005 Madrid, solicita", []string{TypePostalAddress}},
		{"residente in, capitalised", "Residente in Via Garibaldi 12, 10122 Torino.", []string{TypePostalAddress}},
		{"domiciliée, Dutch postcode", "domiciliée à Keizersgracht 455, 1017 DK Amsterdam", []string{TypePostalAddress}},
		{"residence phrase without a postcode", "residing at the old mill near Springfield since 2011", nil},
		{"postcode without a residence phrase", "Wir liefern nach Ostendstraße 44, 90482 Nürnberg.", nil},
		{"a resident word of code", "resident_set_size, 40960 Bytes", nil},
		{"domain is no domicile", "domain example.org, 12345 Records", nil},
		{"passport MRZ", mrz1 + "\n" + mrz2 + "\n", []string{TypePassport}},
		{"MRZ with a wrong check digit", mrz1 + "\n" + mrz2[:9] + "0" + mrz2[10:] + "\n", nil},
		{"MRZ not at a line start", "x " + mrz1 + "\n" + mrz2 + "\n", nil},
		{"MRZ of an ID card number without digits", mrz1 + "\n" + mrzNoDigits + "\n", nil},
		{"TOML triple-quoted password", `passwd = """Ml!Tr1ple-Quoted26"""`, []string{TypePassword}},
		{"triple quotes across lines are no value", "password = \"\"\"\nX\n\"\"\"", nil},
		{"working directory under PWD", "sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root", nil},
		{"password file path", "password_file=/run/secrets/db_password", nil},
		{"password that starts with a slash", "password=/Xk9#mP2vL!q7", []string{TypePassword}},
		{"multilingual surname label", "Name/Surname/Nom: BRANDT", []string{TypePersonName}},
		{"multilingual given names label", "Vornamen/Given names/Prénom: JULIA MARIE", []string{TypePersonName}},
		{"path is no label", "see /usr/share/doc: README", nil},
		{"applicant name", "Name of applicant: Priya Raghavan", []string{TypePersonName}},
		{"PAM service and facility", "pam_unix(passwd:chauthtok): password changed for backup", nil},
		{"password in parentheses with a space", "(password: Xk9#mP2vL!q7)", []string{TypePassword}},
	}
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			d.Detect([]byte(tc.text), func(m Match) { got = append(got, m.Type) })
			require.Equal(t, tc.want, got)
		})
	}
	fd := d.(FieldDetector)
	fields := []struct {
		name, field, value string
		want               []string
	}{
		{"redis requirepass", "requirepass", "R3dis!Cache-Prod#26", []string{TypePassword}},
		{"redis masterauth", "masterauth", "R3dis!Repl-Prod#26", []string{TypePassword}},
		{"a value under another key", "maxmemory", "R3dis!Cache-Prod#26", nil},
		{"nginx proxy_pass is a URL", "proxy_pass", "http://backend-01:8080", nil},
		{"phone typed with a double space", "Telefon", "040  3829 1746", []string{TypePhoneNumber}},
		{"a double space outside a phone field", "Bemerkung", "040  3829 1746", nil},
	}
	for _, tc := range fields {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			fd.DetectField([]byte(tc.field), []byte(tc.value), func(m Match) { got = append(got, m.Type) })
			require.Equal(t, tc.want, got)
		})
	}
}
