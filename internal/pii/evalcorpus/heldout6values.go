package evalcorpus

// h6Values are the sixth corpus's planted values, by placeholder name:
// new numbers (none repeats an earlier round's), check digits from
// heldoutvalues.go, national ids in the forms their countries write them
// in, and decoys that fail each check.
func h6Values() map[string]string {
	v := map[string]string{"bt": "`", "tab": "\t"}
	v["visa"] = hoGroup4(hoLuhn("492913847561203"), " ")
	v["visaPlain"] = hoLuhn("448391027465518")
	v["mc2"] = hoGroup4(hoLuhn("222300485736192"), "-")
	amex := hoLuhn("34872910563829")
	v["amex"] = amex[:4] + " " + amex[4:10] + " " + amex[10:]
	v["jcb"] = hoLuhn("353011223344556")
	v["cardBad"] = hoGroup4(hoBadLuhn("451874930265117"), " ")

	v["ibanDE"] = hoIBAN("DE", "370501980019283746")
	v["ibanDEg"] = hoGroup4(hoIBAN("DE", "200400000628193745"), " ")
	v["ibanFRg"] = hoGroup4(hoIBAN("FR", "30004008190001928374652"), " ")
	v["ibanIT"] = hoIBAN("IT", "K0306909606100000017392")
	v["ibanES"] = hoIBAN("ES", "01822370420201938475")
	v["ibanESg"] = hoGroup4(hoIBAN("ES", "21003827160200194827"), " ")
	v["ibanNLg"] = hoGroup4(hoIBAN("NL", "ABNA0417283950"), " ")
	v["ibanBE"] = hoIBAN("BE", "539007547034")
	v["ibanAT"] = hoIBAN("AT", "2011182736450912")
	v["ibanPL"] = hoIBAN("PL", "109010140000071219812874")
	v["ibanGB"] = hoGroup4(hoIBAN("GB", "BARC20038471625394"), " ")
	good := hoIBAN("DE", "500700100948273615")
	v["ibanBad"] = hoGroup4(good[:2]+string(rune('0'+(good[2]-'0'+4)%10))+good[3:], " ")

	v["ssn"] = "531-72-4086"
	v["ssnSpaced"] = "287 65 4319"
	v["ssnPlain"] = "412839576"
	v["nino"] = "PR 48 27 36 C"
	v["nino2"] = "JX482736B"

	taxA := hoSteuerID("5830172956")
	v["taxA"] = taxA
	v["taxASpaced"] = taxA[:2] + " " + taxA[2:5] + " " + taxA[5:8] + " " + taxA[8:]
	v["taxB"] = hoSteuerID("2917384026")
	v["taxBad"] = taxA[:10] + string(rune('0'+(taxA[10]-'0'+3)%10))
	nirA := hoNIR("1850675123456")
	v["nirA"] = nirA
	// As the carte Vitale prints it: the key set apart.
	v["nirASpaced"] = nirA[:1] + " " + nirA[1:3] + " " + nirA[3:5] + " " + nirA[5:7] + " " + nirA[7:10] + " " + nirA[10:13] + " " + nirA[13:]
	v["nirB"] = hoNIR("2920169123078")
	v["nirBad"] = nirA[:13] + string(rune('0'+(nirA[13]-'0'+1)%10)) + nirA[14:]
	v["dniDash"] = "52839174-" + hoDNILetter(52839174)
	v["dniB"] = "71928364" + hoDNILetter(71928364)
	v["nie"] = "Y4827193" + hoDNILetter(14827193)
	v["dniBad"] = "52839174" + hoDNILetter(52839175)
	cf := hoFiscalCode("RSSMRC85T10H501")
	v["cf"] = cf
	lower := []byte(cf)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	v["cfLower"] = string(lower)
	v["cfB"] = hoFiscalCode("VRDLRA92M41H501")
	bsnA, _ := hoBSN("19283746")
	bsnB, _ := hoBSN("31826475")
	v["bsnA"], v["bsnB"] = bsnA, bsnB
	v["bsnDots"] = bsnA[:4] + "." + bsnA[4:6] + "." + bsnA[6:]
	v["bsnBad"] = bsnB[:8] + string(rune('0'+(bsnB[8]-'0'+1)%10))
	aad := hoVerhoeff("84736291057")
	v["aadhaar"] = hoGroup4(aad, " ")
	v["aadhaarDash"] = hoGroup4(hoVerhoeff("29384716502"), "-")
	v["aadhaarBad"] = hoGroup4(aad[:11]+string(rune('0'+(aad[11]-'0'+2)%10)), " ")

	v["ppDE"] = "CF4R7TZ21"
	v["mrzDE"] = h6MRZ("CF4R7TZ21", "D<<", "640812", "F", "340228")
	v["ppFR"] = "19FV52718"
	v["mrzFR"] = h6MRZ("19FV52718", "FRA", "900704", "F", "291103")
	v["ppUS"] = "574019283"
	v["ppNL"] = "NW8RK3T52"

	v["aws"] = "AKIAW7QK3ZT5M2XRLP4D"
	v["pem1"] = hoB64Line(61)
	v["pem2"] = hoB64Line(62)
	v["pem3"] = hoB64Line(63)
	v["sha256"] = hoHex(6601, 64)
	v["sha1"] = hoHex(6602, 40)
	return v
}

// h6MRZ is the second line of a passport's machine-readable zone (ICAO
// 9303 TD3) with its check digits.
func h6MRZ(number, nat, dob, sex, expiry string) string {
	num := (number + "<<<<<<<<<")[:9]
	personal := "<<<<<<<<<<<<<<"
	a := num + h6MRZCheck(num)
	b := dob + h6MRZCheck(dob)
	c := expiry + h6MRZCheck(expiry) + personal + h6MRZCheck(personal)
	return a + nat + b + sex + c + h6MRZCheck(a+b+c)
}

// h6MRZCheck is ICAO 9303's check digit: weights 7, 3, 1.
func h6MRZCheck(s string) string {
	w := []int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		}
		sum += d * w[i%3]
	}
	return string(rune('0' + sum%10))
}
