package pii

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// Values below are published examples (BZSt's Steuer-IdNr, INSEE's NIR,
// the DNI/NIE and codice fiscale of the standards' own examples, the test
// BSN 111222333) or hand-checked; the corpus in evalcorpus generates
// thousands more with the algorithms.
func TestDetectNext(t *testing.T) {
	tests := []struct {
		name, text string
		want       []found
	}{
		{"tax id in context", "Steuer-IdNr.: 86095742719", []found{{"de_tax_id", "*********19", High, 1}}},
		{"tax id grouped", "steuerliche Identifikationsnummer 86 095 742 719", []found{{"de_tax_id", "*********19", High, 1}}},
		{"tax id without context", "invoice 86095742719", nil},
		{"tax id bad check", "Steuer-IdNr.: 86095742718", nil},
		{"nir plain", "NIR 269054958815780", []found{{"fr_nir", "**************0", High, 1}}},
		{"nir spaced", "sécu 2 69 05 49 588 157 80", []found{{"fr_nir", "**************0", High, 1}}},
		{"nir corsica", "numéro 1 85 12 2A 451 089 81", []found{{"fr_nir", "**************1", High, 1}}},
		{"nir bad key", "NIR 269054958815781", nil},
		{"dni", "DNI 12345678Z", []found{{"es_dni", "********Z", High, 1}}},
		{"dni dash", "DNI 12345678-Z.", []found{{"es_dni", "********Z", High, 1}}},
		{"dni bad letter", "DNI 12345678A", nil},
		{"nie", "NIE X1234567L", []found{{"es_dni", "********L", High, 1}}},
		{"nie dashes", "NIE X-1234567-L", []found{{"es_dni", "********L", High, 1}}},
		{"codice fiscale", "CF: RSSMRA85T10A562S", []found{{"it_fiscal_code", "***************S", High, 1}}},
		{"codice fiscale bad", "CF: RSSMRA85T10A562T", nil},
		{"bsn", "BSN 111222333", []found{{"nl_bsn", "*******33", High, 1}}},
		{"bsn no context", "ref 111222333", nil},
		{"bsn bad", "BSN 111222334", nil},
		{"aadhaar", "Aadhaar: 2341 2341 2346", []found{{"in_aadhaar", "XXXX XXXX 2346", High, 1}}},
		{"aadhaar spaced alone", "id: 2341 2341 2346", []found{{"in_aadhaar", "XXXX XXXX 2346", Medium, 1}}},
		{"aadhaar plain no context", "batch 234123412346", nil},
		{"aadhaar bad", "Aadhaar 2341 2341 2345", nil},
		{"passport", "Reisepass-Nr. C01X00T47", []found{{"passport_number", "*******47", High, 1}}},
		{"passport fr", "numéro de passeport 12AB34567", []found{{"passport_number", "*******67", High, 1}}},
		{"passport no context", "part C01X00T47", nil},
		{"icd in context", "Diagnose: J45.909 bestätigt", []found{{"health_record", "*******", High, 1}}},
		{"icd bare", "press key F12 or E11.9", nil},
		{"mrn", "MRN: 00123456", []found{{"health_record", "******56", High, 1}}},
		{"password", "DB_PASSWORD=S3cr3t!x9", []found{{"password", "********", High, 1}}},
		{"password json", `{"passwd": "hunter2-Blue"}`, []found{{"password", "********", High, 1}}},
		{"password contrasena", "contraseña: Gato_Negro_77", []found{{"password", "********", High, 1}}},
		{"password placeholder", "password=****\npassword: changeme\npassword: ${DB_PASSWORD}\npassword=<password>", nil},
		{"password code", `password = request.form["password"]` + "\nif password == other:", nil},
		{"name", "first_name: Anna\nNachname=Müller", []found{{"person_name", "a***", High, 1}, {"person_name", "m***", High, 2}}},
		{"name json", `{"surname": "de Vries", "name": "sightline"}`, []found{{"person_name", "d*** v***", High, 1}}},
		{"not a person", "hostname: web-01\nusername: deploy\nname: sightline", nil},
		{"address", "Adresse: Hauptstraße 5, 10115 Berlin", []found{{"postal_address", "h*** 5*** 1*** b***", High, 1}}},
		// Not a postal address; the IPv4 address before its port is one.
		{"not an address", "bind_address: 127.0.0.1:8080\nserver_address: api.internal", []found{{"ip_address", "127.*.*.1", Medium, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, detect(tc.text))
		})
	}
}

func TestDetectTokens(t *testing.T) {
	gh := "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" // CRC32 computed independently
	jwtHS := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	jwtNone := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	// A made-up key: the emulator's published one is no credential.
	azure := "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" +
		"jr3bpuZjyMDPr/wmgFoo+WniOzIRjxjwM7zQPGDit+xuwr6IKct+RDd2r4UoaSk45qGVdlfHdqTHnUxuPicteQ==;EndpointSuffix=core.windows.net"
	tests := []struct {
		name, text string
		want       []found
	}{
		{"github classic", "GITHUB_TOKEN=" + gh, []found{{"github_token", "ghp_****", High, 1}}},
		{"github bad crc", "GITHUB_TOKEN=" + gh[:len(gh)-1] + "L", nil},
		{"github fine-grained", "token github_pat_11ABCDEFG0123456789abc_" + "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba0123456",
			[]found{{"github_token", "github_pat_****", High, 1}}},
		{"gitlab", "private-token: glpat-Ab3dE6gH9jK2mN5pQ8sT", []found{{"gitlab_token", "glpat-****", High, 1}}},
		{"gitlab placeholder", "glpat-xxxxxxxxxxxxxxxxxxxx", nil},
		{"slack", "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", []found{{"slack_token", "xoxb-****", High, 1}}},
		{"slack placeholder", "xoxb-your-token-here", nil},
		{"stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", []found{{"stripe_key", "sk_live_****", High, 1}}},
		{"stripe test key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", nil},
		{"jwt", "Authorization: Bearer " + jwtHS, []found{{"jwt", "eyJ****", High, 1}}},
		{"jwt alg none", "token=" + jwtNone, nil},
		{"jwt unsigned", "token=" + jwtHS[:bytes.LastIndexByte([]byte(jwtHS), '.')+1], nil},
		{"azure", azure, []found{{"azure_storage_key", "****==", High, 1}}},
		{"gcp", `{"type": "service_account", "private_key_id": "0123456789abcdef0123456789abcdef01234567"}`,
			[]found{{"gcp_service_account_key", "************************************4567", High, 1}}},
		{"gcp key id elsewhere", `{"private_key_id": "0123456789abcdef0123456789abcdef01234567"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, detect(tc.text))
		})
	}
}

func TestDetectFieldNext(t *testing.T) {
	det := NewDefault().(FieldDetector)
	tests := []struct {
		field, value string
		want         []found
	}{
		{"last_name", "García", []found{{"person_name", "g***", High, 1}}},
		{"Prénom", "Chloé", []found{{"person_name", "c***", High, 1}}},
		{"name", "Anna Berg", nil},
		{"first_name", "n/a", nil},
		{"first_name", "user42", nil},
		{"Street Address", "12 Main Street, Springfield", []found{{"postal_address", "1*** m*** s*** s***", High, 1}}},
		{"ip_address", "12 Main Street 3", nil},
		{"password", "Tr0ub4dor&3", []found{{"password", "********", High, 1}}},
		{"password", "********", nil},
		{"diagnosis", "E11.9, I10", []found{{"health_record", "*****", High, 1}, {"health_record", "***", High, 1}}},
		{"icd_code", "not a code", nil},
		{"bsn", "1112.22.333", []found{{"nl_bsn", "*******33", High, 1}}},
		{"dni", "12.345.678-z", []found{{"es_dni", "********Z", High, 1}}},
		{"dni", "12345678-Z", []found{{"es_dni", "********Z", High, 1}}}, // once, not again compacted
		{"passport", "contact a@example.com", []found{{"email", "a***@e***.com", High, 1}}},
		{"codice_fiscale", "rssmra85t10a562s", []found{{"it_fiscal_code", "***************S", High, 1}}},
		{"steuer_id", "86 095 742 719", []found{{"de_tax_id", "*********19", High, 1}}},
		{"aadhaar", "2341-2341-2346", []found{{"in_aadhaar", "XXXX XXXX 2346", High, 1}}},
		{"passport_no", "c01x00t47", []found{{"passport_number", "*******47", High, 1}}},
		{"AccountKey", "jr3bpuZjyMDPr/wmgFoo+WniOzIRjxjwM7zQPGDit+xuwr6IKct+RDd2r4UoaSk45qGVdlfHdqTHnUxuPicteQ==",
			[]found{{"azure_storage_key", "****==", High, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.field+"/"+tc.value, func(t *testing.T) {
			var out []found
			det.DetectField([]byte(tc.field), []byte(tc.value), func(m Match) {
				out = append(out, found{m.Type, Mask(m.Type, m.Value), m.Confidence, m.Line})
			})
			require.Equal(t, tc.want, out)
		})
	}
}

// Subject search: each id as its standard allows it to be written
// normalizes to what the detector tokenizes from a file.
func TestNormalizeAsNext(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		ins  []string
		want string
	}{
		{TypeDETaxID, []string{"86095742719", "86 095 742 719", "86/095/742/719"}, "86095742719"},
		{TypeFRNIR, []string{"269054958815780", "2 69 05 49 588 157 80", "2.69.05.49.588.157.80"}, "269054958815780"},
		{TypeFRNIR, []string{"1 85 12 2a 451 089 81", "185122A45108981"}, "185122A45108981"},
		{TypeESDNI, []string{"12345678Z", "12345678-z", "12.345.678 Z"}, "12345678Z"},
		{TypeESDNI, []string{"X1234567L", "x-1234567-l"}, "X1234567L"},
		{TypeITFiscalCode, []string{"RSSMRA85T10A562S", "rssmra85t10a562s", "RSS MRA 85T10 A562S"}, "RSSMRA85T10A562S"},
		{TypeNLBSN, []string{"111222333", "1112.22.333", "111 222 333"}, "111222333"},
		{TypeINAadhaar, []string{"234123412346", "2341 2341 2346", "2341-2341-2346"}, "234123412346"},
		{TypePassport, []string{"C01X00T47", "c01x00t47"}, "C01X00T47"},
		{TypePersonName, []string{"Anna  Berg", " anna berg "}, "anna berg"},
		{TypePostalAddress, []string{"12 Main  Street, Springfield", "12 main street SPRINGFIELD"}, "12 main street springfield"},
		{TypeHealthRecord, []string{"MR-0012345", "mr0012345"}, "MR0012345"},
	} {
		for _, in := range tc.ins {
			got, ok := NormalizeAs(tc.typ, in)
			require.True(t, ok, "%s %q", tc.typ, in)
			require.Equal(t, tc.want, got, "%s %q", tc.typ, in)
		}
	}
	for _, tc := range []struct{ typ, in string }{
		{TypeDETaxID, "86095742718"}, {TypeFRNIR, "269054958815781"}, {TypeESDNI, "12345678A"}, {TypeNLBSN, "111222334"},
		{TypeINAadhaar, "234123412345"}, {TypePassword, "hunter2-Blue"},
	} {
		_, ok := NormalizeAs(tc.typ, tc.in)
		require.False(t, ok, "%s %q", tc.typ, tc.in)
	}
}

// FuzzDetectNext feeds key/value text and id shapes: every match stays
// inside the input, passes its own validation, and nothing panics.
func FuzzDetectNext(f *testing.F) {
	f.Add([]byte("password=S3cr3t!x9 first_name: Anna DNI 12345678Z NIR 2 69 05 49 588 157 80"))
	f.Add([]byte(`{"type": "service_account", "private_key_id": "0123456789abcdef0123456789abcdef01234567"}`))
	f.Add([]byte("eyJhbGciOiJIUzI1NiJ9.eyJ9.abcdefghijklmnopqrstu ghp_x xoxb-1-2-3 glpat- sk_live_ AccountKey="))
	f.Add([]byte("Diagnose: J45.909 CF RSSMRA85T10A562S X-1234567-L contraseña: é\xc3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		det := NewDefault().(FieldDetector)
		check := func(m Match) {
			switch m.Type {
			case TypeFRNIR:
				require.True(t, validNIR(m.Value))
			case TypeESDNI:
				require.Len(t, m.Value, 9)
			case TypeITFiscalCode:
				require.True(t, validFiscalCode(m.Value))
			case TypeDETaxID:
				require.True(t, validTaxID(m.Value))
			case TypeNLBSN:
				require.True(t, validBSN(m.Value))
			case TypeINAadhaar:
				require.True(t, validAadhaar(m.Value))
			case TypePassword:
				require.True(t, validPassword(m.Value))
			}
			_ = Mask(m.Type, m.Value)
		}
		det.Detect(data, check)
		if i := bytes.IndexByte(data, '\n'); i > 0 {
			det.DetectField(data[:i], data[i+1:], check)
		}
	})
}
