package evalcorpus

import (
	"encoding/base64"
	"strings"
)

// h4Values are the fourth corpus's planted values, by placeholder name:
// new numbers (none repeats an earlier round's), check digits from
// heldoutvalues.go.
func h4Values() map[string]string {
	v := map[string]string{"bt": "`", "tab": "\t"}
	v["visa"] = hoGroup4(hoLuhn("492918273645102"), " ")
	v["visaPlain"] = hoLuhn("448203917264518")
	v["mc"] = hoGroup4(hoLuhn("515463872910385"), " ")
	v["mc2"] = hoLuhn("223100482937461")
	amex := hoLuhn("34127594810372")
	v["amex"] = amex[:4] + " " + amex[4:10] + " " + amex[10:]
	v["maestro"] = hoGroup4(hoLuhn("675941028374651"), " ")
	v["unionpay"] = hoLuhn("621700018273645")
	v["cardBad"] = hoGroup4(hoBadLuhn("402617384920174"), " ")
	v["cardBadPlain"] = hoBadLuhn("530128374659201")

	v["ibanDE"] = hoGroup4(hoIBAN("DE", "210700200123456789"), " ")
	v["ibanDEplain"] = hoIBAN("DE", "830200860618273645")
	v["ibanFR"] = hoGroup4(hoIBAN("FR", "30004000031234567890143"), " ")
	v["ibanES"] = hoGroup4(hoIBAN("ES", "00810200250001234567"), " ")
	v["ibanESplain"] = hoIBAN("ES", "14650100722030876293")
	v["ibanIT"] = hoGroup4(hoIBAN("IT", "K0306909606100000012345"), " ")
	v["ibanITplain"] = hoIBAN("IT", "Z0200802480000104827361")
	v["ibanNL"] = hoGroup4(hoIBAN("NL", "TRIO0212345678"), " ")
	v["ibanNLplain"] = hoIBAN("NL", "SNSB0918273645")
	v["ibanBE"] = hoGroup4(hoIBAN("BE", "063918273645"), " ")
	v["ibanPT"] = hoGroup4(hoIBAN("PT", "000700000012345678911"), " ")
	v["ibanGB"] = hoIBAN("GB", "MIDL40051571829364")
	v["ibanAT"] = hoIBAN("AT", "2011182736451029")
	good := hoIBAN("FR", "20041010050500013902606")
	v["ibanBad"] = hoGroup4(good[:2]+string(rune('0'+(good[2]-'0'+2)%10))+good[3:], " ")

	v["taxA"] = hoSteuerID("3816492735")
	v["taxB"] = hoSteuerID("5927318465")
	v["taxASpaced"] = v["taxA"][:2] + " " + v["taxA"][2:5] + " " + v["taxA"][5:8] + " " + v["taxA"][8:]
	v["taxBad"] = v["taxB"][:10] + string(rune('0'+(v["taxB"][10]-'0'+1)%10))
	nirA := hoNIR("1850675123456")
	v["nirA"] = nirA
	v["nirASpaced"] = nirA[:1] + " " + nirA[1:3] + " " + nirA[3:5] + " " + nirA[5:7] + " " + nirA[7:10] + " " + nirA[10:13] + " " + nirA[13:]
	v["nirB"] = hoNIR("2930413055087")
	v["nirBad"] = nirA[:13] + string(rune('0'+(nirA[13]-'0'+1)%10)) + nirA[14:]
	v["dniA"] = "53829174" + hoDNILetter(53829174)
	v["dniB"] = "09173652" + hoDNILetter(9173652)
	v["dniBad"] = "53829174" + hoDNILetter(53829175)
	v["nieX"] = "X3827164" + hoDNILetter(3827164)
	v["nieY"] = "Y6172938" + hoDNILetter(16172938)
	v["cfA"] = hoFiscalCode("RSSMRA85T10A562")
	v["cfB"] = hoFiscalCode("VRDGPP79D52H501")
	cfA := v["cfA"]
	v["cfBad"] = cfA[:15] + string(rune('A'+(cfA[15]-'A'+3)%26))
	bsnA, _ := hoBSN("19283746")
	bsnB, _ := hoBSN("62817394")
	v["bsnA"], v["bsnB"] = bsnA, bsnB
	v["bsnBDotted"] = bsnB[:4] + "." + bsnB[4:6] + "." + bsnB[6:]
	v["bsnBad"] = bsnA[:8] + string(rune('0'+(bsnA[8]-'0'+1)%10))
	aad := hoVerhoeff("39812746015")
	v["aadhaar"] = hoGroup4(aad, " ")
	v["aadhaarBad"] = hoGroup4(aad[:11]+string(rune('0'+(aad[11]-'0'+1)%10)), " ")

	v["ghp"] = hoGitHub("ghp_", "Tq7Lm2Xw9Kz4Vb8Nc3Yp6Hd1Jf5Gs0")
	v["ghs"] = hoGitHub("ghs_", "Wn4Rk8Zt2Lq6Xm9Vb3Pc7Yd1Hf5Js0")
	v["github_pat"] = "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"
	v["glpat"] = "glpat-Zb4Nc8Vx2Lm9TqW3pRt7"
	v["xoxb"] = "xoxb-5820194736-6019283746518-Yp6Hd1Jf5Gs0Kq7Lm2Xw9Kz4"
	v["sk"] = "sk_live_51PqR7sKx2Lm9Vb4TcYp8Hd3Jw6Fs1Ge0Na5Ub8Qt2Zw"
	v["jwtK8s"] = hoJWT(`{"alg":"RS256","kid":"kU7n2"}`, `{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"prod","sub":"system:serviceaccount:prod:deployer"}`,
		"Lq6Xm9Vb3Pc7Yd1Hf5Js0Wn4Rk8Zt2Lq6Xm9Vb3Pc7Yd1Hf5Js0Wn4Rk8Zt2Aa")
	v["jwtLog"] = hoJWT(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"u-20417","email":"k.nowak@example.pl","exp":1796306400}`,
		"p8Vx2Lm9TqW4Zb3Nc7Yp6Hd1Jf5Gs0Kq7Lm2Xw9K")
	v["azure"] = hoAzureKey(91)
	v["gcpKeyID"] = hoHex(9104, 40)
	v["sha256"] = hoHex(4404, 64)
	v["sha1"] = hoHex(4405, 40)
	v["md5"] = hoHex(4406, 32)
	v["oid"] = hoHex(4407, 24)
	v["oid2"] = hoHex(4408, 24)
	v["oid3"] = hoHex(4409, 24)

	// PEM bodies: base64 of made-up bytes, the right length for a line.
	v["pemLine"] = hoB64Line(11)
	v["pemLine2"] = hoB64Line(12)
	v["pemLine3"] = hoB64Line(13)
	keyPEM := "-----BEGIN RSA PRIVATE KEY-----\n" + hoB64Line(21) + "\n" + hoB64Line(22) + "\n-----END RSA PRIVATE KEY-----\n"
	v["keyPEMb64"] = base64.StdEncoding.EncodeToString([]byte(keyPEM))
	cert := "-----BEGIN CERTIFICATE-----\n" + hoB64Line(23) + "\n-----END CERTIFICATE-----\n"
	v["certPEMb64"] = base64.StdEncoding.EncodeToString([]byte(cert))
	v["keyPEMjson"] = strings.ReplaceAll(keyPEM, "\n", `\n`)
	return v
}

// hoB64Line is one 64-character base64 line from a seed.
func hoB64Line(seed byte) string {
	b := make([]byte, 48)
	x := uint32(seed)*2654435761 + 7
	for k := range b {
		x = x*1103515245 + 12345
		b[k] = byte(x >> 16)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// hoB64Wrap base64-encodes s in lines of 76 characters, as MIME does.
func hoB64Wrap(s string) string {
	e := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76])
		b.WriteString("\n")
		e = e[76:]
	}
	b.WriteString(e)
	return b.String()
}
