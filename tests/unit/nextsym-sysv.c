/* A shared object with only the SysV hash table (linked with --hash-style=sysv), for test-nextsym:
 * three functions to find and one hidden one not to. */
int er_sysv_first(void);
int er_sysv_second(void);
int er_sysv_third(void);

int er_sysv_first(void)
{
    return 1;
}

int er_sysv_second(void)
{
    return 2;
}

int er_sysv_third(void)
{
    return 3;
}

__attribute__((visibility("hidden"))) int er_sysv_hidden(void);
__attribute__((visibility("hidden"))) int er_sysv_hidden(void)
{
    return 4;
}
