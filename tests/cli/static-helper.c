/* A statically linked program: the preload cannot see into it, and earlyrandom must say so. */
int main(void)
{
    return 0;
}
