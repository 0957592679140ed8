"""Check characters of Chinese identity documents, computed independently of
the C code (control/idcheck.c) for the CLI tests and their fixtures."""

RES_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CREDIT_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_W = [pow(3, i, 31) for i in range(17)]


def resident_check(first17):
    """ISO 7064 MOD 11-2 check character of a resident ID."""
    s = sum(int(c) * w for c, w in zip(first17, RES_W))
    return "10X98765432"[s % 11]


def resident(first17):
    return first17 + resident_check(first17)


def credit_check(first17):
    """GB 32100-2015 check character of a unified social credit code."""
    s = sum(CREDIT_SET.index(c) * w for c, w in zip(first17, CREDIT_W))
    return CREDIT_SET[(31 - s % 31) % 31]


def credit(first17):
    return first17 + credit_check(first17)


assert CREDIT_W == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
