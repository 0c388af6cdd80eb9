/* A dynamically linked program that carries the section every Go binary has, standing in for a Go
 * program (no Go toolchain is needed to build the tests). */
__attribute__((used, section(".note.go.buildid"))) static const char go_build_id[] = "fake";

int main(void)
{
    return 0;
}
