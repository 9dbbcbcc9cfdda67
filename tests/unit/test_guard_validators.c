/* test_guard_validators.c - every PII validator on valid, invalid and boundary cases. */
#include "t.h"
#include "steward/guard.h"

#include <string.h>

#define V(fn, s) fn(s, strlen(s))

static void test_luhn(void) {
    T_CHECK(V(sw_valid_luhn, "4111111111111111"));
    T_CHECK(V(sw_valid_luhn, "4111 1111 1111 1111"));
    T_CHECK(V(sw_valid_luhn, "4111-1111-1111-1111"));
    T_CHECK(V(sw_valid_luhn, "378282246310005"));    /* Amex, 15 */
    T_CHECK(V(sw_valid_luhn, "6011111111111117"));   /* Discover */
    T_CHECK(V(sw_valid_luhn, "630427373398"));       /* 12 digits: the shortest */
    T_CHECK(V(sw_valid_luhn, "4131034282458809939")); /* 19 digits: the longest */
    T_CHECK(!V(sw_valid_luhn, "4111111111111112"));  /* check digit off by one */
    T_CHECK(!V(sw_valid_luhn, "41111111111"));       /* 11 digits */
    T_CHECK(!V(sw_valid_luhn, "41311111111111111113")); /* 20 digits */
    T_CHECK(!V(sw_valid_luhn, "0000000000000000"));  /* all the same */
    T_CHECK(!V(sw_valid_luhn, "4111x111111111111"));
    T_CHECK(!V(sw_valid_luhn, ""));
}

static void test_iban(void) {
    T_CHECK(V(sw_valid_iban, "GB82WEST12345698765432"));
    T_CHECK(V(sw_valid_iban, "GB82 WEST 1234 5698 7654 32"));
    T_CHECK(V(sw_valid_iban, "gb82west12345698765432")); /* case-insensitive */
    T_CHECK(V(sw_valid_iban, "DE89370400440532013000"));
    T_CHECK(V(sw_valid_iban, "NO9386011117947"));         /* 15: the shortest */
    T_CHECK(V(sw_valid_iban, "FR1420041010050500013M02606"));
    T_CHECK(!V(sw_valid_iban, "GB82WEST12345698765433")); /* mod 97 fails */
    T_CHECK(!V(sw_valid_iban, "GB82WEST1234569876543"));  /* one short for GB */
    T_CHECK(!V(sw_valid_iban, "XX82WEST12345698765432")); /* unknown country */
    T_CHECK(!V(sw_valid_iban, "GBX2WEST12345698765432"));
    T_CHECK(!V(sw_valid_iban, "GB82-WEST-1234"));
}

static void test_cn_id(void) {
    T_CHECK(V(sw_valid_cn_id, "11010519491231002X"));
    T_CHECK(V(sw_valid_cn_id, "11010519491231002x"));
    T_CHECK(V(sw_valid_cn_id, "110101200002290018")); /* 29 Feb 2000, a leap year */
    T_CHECK(!V(sw_valid_cn_id, "110101190002290011")); /* 29 Feb 1900: not a leap year */
    T_CHECK(!V(sw_valid_cn_id, "110105194912310021")); /* check character wrong */
    T_CHECK(!V(sw_valid_cn_id, "110105194913310021")); /* month 13 */
    T_CHECK(!V(sw_valid_cn_id, "11010519491231002"));  /* 17 characters */
    T_CHECK(!V(sw_valid_cn_id, "1101051949123100X2"));
}

static void test_ssn(void) {
    T_CHECK(V(sw_valid_us_ssn, "536-22-1234"));
    T_CHECK(V(sw_valid_us_ssn, "536221234"));
    T_CHECK(V(sw_valid_us_ssn, "899-01-0001")); /* highest valid area */
    T_CHECK(V(sw_valid_us_ssn, "001-01-0001")); /* lowest valid numbers */
    T_CHECK(!V(sw_valid_us_ssn, "000-12-3456"));
    T_CHECK(!V(sw_valid_us_ssn, "666-12-3456"));
    T_CHECK(!V(sw_valid_us_ssn, "900-12-3456"));
    T_CHECK(!V(sw_valid_us_ssn, "999-12-3456"));
    T_CHECK(!V(sw_valid_us_ssn, "536-00-3456"));
    T_CHECK(!V(sw_valid_us_ssn, "536-22-0000"));
    T_CHECK(!V(sw_valid_us_ssn, "555-55-5555")); /* all the same digit */
    T_CHECK(!V(sw_valid_us_ssn, "536-22 1234")); /* mixed separators */
    T_CHECK(!V(sw_valid_us_ssn, "53622123"));
}

static void test_ip(void) {
    T_CHECK(V(sw_valid_ipv4, "192.168.0.1"));
    T_CHECK(V(sw_valid_ipv4, "0.0.0.0"));
    T_CHECK(V(sw_valid_ipv4, "255.255.255.255"));
    T_CHECK(!V(sw_valid_ipv4, "256.1.1.1"));
    T_CHECK(!V(sw_valid_ipv4, "1.2.3"));
    T_CHECK(!V(sw_valid_ipv4, "1.2.3.4.5"));
    T_CHECK(!V(sw_valid_ipv4, "01.2.3.4"));
    T_CHECK(!V(sw_valid_ipv4, "1..3.4"));
    T_CHECK(V(sw_valid_ipv6, "2001:db8::1"));
    T_CHECK(V(sw_valid_ipv6, "6e40:4041:c617:e898:c11:40d2:c669:2eb4"));
    T_CHECK(V(sw_valid_ipv6, "::1"));
    T_CHECK(V(sw_valid_ipv6, "::ffff:192.168.1.1"));
    T_CHECK(!V(sw_valid_ipv6, "2001:db8::1::2"));
    T_CHECK(!V(sw_valid_ipv6, "1:2:3:4:5:6:7"));
    T_CHECK(!V(sw_valid_ipv6, "1:2:3:4:5:6:7:8:9"));
    T_CHECK(!V(sw_valid_ipv6, "12345::1"));
    T_CHECK(!V(sw_valid_ipv6, "g::1"));
}

static void test_mac_email_jwt(void) {
    T_CHECK(V(sw_valid_mac, "00:1A:2b:3C:4d:5E"));
    T_CHECK(V(sw_valid_mac, "00-1A-2B-3C-4D-5E"));
    T_CHECK(!V(sw_valid_mac, "00:1A-2B:3C:4D:5E"));
    T_CHECK(!V(sw_valid_mac, "00:1G:2B:3C:4D:5E"));
    T_CHECK(!V(sw_valid_mac, "00:1A:2B:3C:4D"));
    T_CHECK(V(sw_valid_email, "john.doe+x@mail.example.co.uk"));
    T_CHECK(V(sw_valid_email, "a@b.io"));
    T_CHECK(!V(sw_valid_email, "a@b.c"));      /* one-letter TLD */
    T_CHECK(!V(sw_valid_email, "a@localhost")); /* no dot */
    T_CHECK(!V(sw_valid_email, ".a@b.com"));
    T_CHECK(!V(sw_valid_email, "a..b@b.com"));
    T_CHECK(!V(sw_valid_email, "a@-b.com"));
    T_CHECK(!V(sw_valid_email, "a@b.c0m"));
    T_CHECK(V(sw_valid_jwt, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"));
    T_CHECK(!V(sw_valid_jwt, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"));
    T_CHECK(!V(sw_valid_jwt, "abJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"));
    T_CHECK(!V(sw_valid_jwt, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjg*ryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"));
}

static void test_entropy(void) {
    T_NEAR(sw_entropy("aaaa", 4), 0.0, 1e-9);
    T_NEAR(sw_entropy("abcd", 4), 2.0, 1e-9);
    T_NEAR(sw_entropy("", 0), 0.0, 1e-9);
}

int main(void) {
    T_RUN(test_luhn);
    T_RUN(test_iban);
    T_RUN(test_cn_id);
    T_RUN(test_ssn);
    T_RUN(test_ip);
    T_RUN(test_mac_email_jwt);
    T_RUN(test_entropy);
    return t_done();
}
