/* SPDX-License-Identifier: BSD-2-Clause */
/* control/idcheck.c: valid and invalid documents of every type. */
#include <stdio.h>
#include <string.h>

#include "idcheck.h"

static int failures;

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* 2026-06-01T00:00:00Z */
#define TODAY (1780272000LL * 1000000000LL)

struct tcase {
	unsigned type;
	const char *doc;
	enum ctl_id_fail want;
};

static const struct tcase cases[] = {
	/* resident ID: valid, then one per rejection reason */
	{CTL_DOC_RESIDENT_ID, "110101199003074514", CTL_ID_OK},
	{CTL_DOC_RESIDENT_ID, "440304198505121239", CTL_ID_OK},
	{CTL_DOC_RESIDENT_ID, "320102198808080023", CTL_ID_OK},
	{CTL_DOC_RESIDENT_ID, "11010519491231002X", CTL_ID_OK},
	{CTL_DOC_RESIDENT_ID, "110101199003074515", CTL_ID_CHECK},
	{CTL_DOC_RESIDENT_ID, "11010519491231002x", CTL_ID_CHARSET}, /* not normalised */
	{CTL_DOC_RESIDENT_ID, "11010119900307451", CTL_ID_LENGTH},
	{CTL_DOC_RESIDENT_ID, "1101011990030745141", CTL_ID_LENGTH},
	{CTL_DOC_RESIDENT_ID, "", CTL_ID_EMPTY},
	{CTL_DOC_RESIDENT_ID, "11010119900307A514", CTL_ID_CHARSET},
	{CTL_DOC_RESIDENT_ID, "X10101199003074514", CTL_ID_CHARSET},
	{CTL_DOC_RESIDENT_ID, "990101199003074514", CTL_ID_REGION},
	{CTL_DOC_RESIDENT_ID, "100101199003074514", CTL_ID_REGION},
	{CTL_DOC_RESIDENT_ID, "110101199002304513", CTL_ID_BIRTH_DATE}, /* 30 Feb */
	{CTL_DOC_RESIDENT_ID, "110101190002294513", CTL_ID_BIRTH_DATE}, /* 1900 not leap */
	{CTL_DOC_RESIDENT_ID, "110101189912314513", CTL_ID_BIRTH_DATE}, /* before 1900 */
	{CTL_DOC_RESIDENT_ID, "110101203001014513", CTL_ID_BIRTH_DATE}, /* future */
	{CTL_DOC_RESIDENT_ID, "110101199013014513", CTL_ID_BIRTH_DATE}, /* month 13 */
	{CTL_DOC_RESIDENT_ID, "110101199001004513", CTL_ID_BIRTH_DATE}, /* day 0 */
	/* residence permits: same structure, 81/82/83/91 only */
	{CTL_DOC_RESIDENCE_PERMIT, "810000199001011230", CTL_ID_OK},
	{CTL_DOC_RESIDENCE_PERMIT, "910000198001010018", CTL_ID_OK},
	{CTL_DOC_RESIDENCE_PERMIT, "810000199001011231", CTL_ID_CHECK},
	{CTL_DOC_RESIDENCE_PERMIT, "110101199003074514", CTL_ID_REGION},
	{CTL_DOC_RESIDENCE_PERMIT, "81000019900101123", CTL_ID_LENGTH},
	/* unified social credit code */
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDEN", CTL_ID_OK},
	{CTL_DOC_CREDIT_CODE, "91440300MA5F00001A", CTL_ID_OK},
	{CTL_DOC_CREDIT_CODE, "121000004000000010", CTL_ID_OK},
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDEP", CTL_ID_CHECK},
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDIN", CTL_ID_CHARSET}, /* I */
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDON", CTL_ID_CHARSET}, /* O */
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDSN", CTL_ID_CHARSET}, /* S */
	{CTL_DOC_CREDIT_CODE, "91110108MA01ABCDE", CTL_ID_LENGTH},
	/* business licence: 15 digits or a credit code */
	{CTL_DOC_BUSINESS_LICENCE, "110108012345678", CTL_ID_OK},
	{CTL_DOC_BUSINESS_LICENCE, "91110108MA01ABCDEN", CTL_ID_OK},
	{CTL_DOC_BUSINESS_LICENCE, "91110108MA01ABCDEP", CTL_ID_CHECK},
	{CTL_DOC_BUSINESS_LICENCE, "11010801234567", CTL_ID_LENGTH},
	{CTL_DOC_BUSINESS_LICENCE, "11010801234567A", CTL_ID_FORMAT},
	{CTL_DOC_BUSINESS_LICENCE, "110108-12345678", CTL_ID_CHARSET},
	/* passports */
	{CTL_DOC_PASSPORT, "E12345678", CTL_ID_OK},
	{CTL_DOC_PASSPORT, "G12345678", CTL_ID_OK},
	{CTL_DOC_PASSPORT, "EA1234567", CTL_ID_OK},
	{CTL_DOC_PASSPORT, "123456", CTL_ID_OK},
	{CTL_DOC_PASSPORT, "E123", CTL_ID_LENGTH},
	{CTL_DOC_PASSPORT, "E123456789012345678", CTL_ID_LENGTH},
	{CTL_DOC_PASSPORT, "ABCDEFGH", CTL_ID_FORMAT},
	{CTL_DOC_PASSPORT, "E1234 5678", CTL_ID_CHARSET},
	/* HK/Macau travel permit */
	{CTL_DOC_HK_MACAU_PERMIT, "H12345678", CTL_ID_OK},
	{CTL_DOC_HK_MACAU_PERMIT, "M1234567890", CTL_ID_OK},
	{CTL_DOC_HK_MACAU_PERMIT, "C12345678", CTL_ID_FORMAT},
	{CTL_DOC_HK_MACAU_PERMIT, "H1234567", CTL_ID_LENGTH},
	{CTL_DOC_HK_MACAU_PERMIT, "H1234567A", CTL_ID_FORMAT},
	{CTL_DOC_HK_MACAU_PERMIT, "H1234567-", CTL_ID_CHARSET},
	/* Taiwan travel permit */
	{CTL_DOC_TAIWAN_PERMIT, "12345678", CTL_ID_OK},
	{CTL_DOC_TAIWAN_PERMIT, "1234567890", CTL_ID_OK},
	{CTL_DOC_TAIWAN_PERMIT, "1234567A", CTL_ID_FORMAT},
	{CTL_DOC_TAIWAN_PERMIT, "123456789", CTL_ID_LENGTH},
	{CTL_DOC_TAIWAN_PERMIT, "1234567_", CTL_ID_CHARSET},
	/* unknown types */
	{CTL_DOC_NONE, "E12345678", CTL_ID_TYPE},
	{CTL_DOC_MAX, "E12345678", CTL_ID_TYPE},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		enum ctl_id_fail got = ctl_id_check(t->type, t->doc, strlen(t->doc), TODAY);
		if (got != t->want) {
			fprintf(stderr, "case %zu: %s type %u: got %s, want %s\n", i, t->doc, t->type,
				ctl_id_fail_str(got), ctl_id_fail_str(t->want));
			failures++;
		}
	}
	/* check characters */
	CHECK(ctl_id_resident_check_char("11010119900307451") == '4');
	CHECK(ctl_id_resident_check_char("11010519491231002") == 'X');
	CHECK(ctl_id_resident_check_char("1101051949123100A") == 0);
	CHECK(ctl_id_credit_check_char("91110108MA01ABCDE") == 'N');
	CHECK(ctl_id_credit_check_char("12100000400000001") == '0'); /* 31 -> 0 */
	CHECK(ctl_id_credit_check_char("9111010IMA01ABCDE") == 0);
	/* a birth date of today is accepted, tomorrow is not */
	CHECK(ctl_id_check_resident("11010120260601451X", 18, TODAY) != CTL_ID_BIRTH_DATE);
	CHECK(ctl_id_check_resident("110101202606024514", 18, TODAY) == CTL_ID_BIRTH_DATE);
	/* 29 February in a leap year */
	char leap[19] = "11010120000229451";
	leap[17] = ctl_id_resident_check_char(leap);
	CHECK(ctl_id_check_resident(leap, 18, TODAY) == CTL_ID_OK);
	/* normalise */
	char low[] = "11010519491231002x";
	ctl_id_normalise(low, strlen(low));
	CHECK(ctl_id_check(CTL_DOC_RESIDENT_ID, low, 18, TODAY) == CTL_ID_OK);
	/* every reason has a name */
	for (unsigned f = 0; f <= CTL_ID_FAIL_MAX; f++)
		CHECK(ctl_id_fail_str((enum ctl_id_fail)f) != NULL);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("idcheck: ok\n");
	return 0;
}
