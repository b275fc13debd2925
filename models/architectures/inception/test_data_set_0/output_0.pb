
BprobabilitiesJ(Å«->A²³;K18¢d9ã~›;›L?K<H98»~;<