/* The symbol lookup of src/seccomp/caller.c for one ELF class: included once with
 * ELF_CLASS_BITS 64 and once with 32, so that i386 programs' files are read with their own
 * layouts (Elf32_Sym orders its fields differently from Elf64_Sym, not only narrower). */
#define ELF_PASTE_(a, b, c) a##b##c
#define ELF_PASTE(a, b, c) ELF_PASTE_(a, b, c)
#define ElfC(type) ELF_PASTE(Elf, ELF_CLASS_BITS, _##type)
#define ELFC_ST_TYPE ELF_PASTE(ELF, ELF_CLASS_BITS, _ST_TYPE)
#define ELFC_FN(name) ELF_PASTE(name, _, ELF_CLASS_BITS)

/* The file's virtual address of a file offset, through the loadable segment that maps it. */
static bool ELFC_FN(offset_to_vaddr)(const unsigned char *img, size_t size, uint64_t off,
                                     uint64_t *vaddr)
{
    const ElfC(Ehdr) *eh = (const ElfC(Ehdr) *)img;
    if (eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(ElfC(Phdr)))
        return false;
    const ElfC(Phdr) *ph = (const ElfC(Phdr) *)(img + eh->e_phoff);
    for (size_t i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && off >= ph[i].p_offset &&
            off < (uint64_t)ph[i].p_offset + ph[i].p_filesz) {
            *vaddr = off - ph[i].p_offset + ph[i].p_vaddr;
            return true;
        }
    }
    return false;
}

static bool ELFC_FN(find_symbol)(const unsigned char *img, size_t size, uint64_t vaddr,
                                 char *symbol, size_t cap)
{
    const ElfC(Ehdr) *eh = (const ElfC(Ehdr) *)img;
    if (eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof(ElfC(Shdr)))
        return false;
    const ElfC(Shdr) *sh = (const ElfC(Shdr) *)(img + eh->e_shoff);
    /* The full table when the file kept it (Go binaries do), else the dynamic one. */
    for (unsigned type = SHT_SYMTAB; type != 0; type = type == SHT_SYMTAB ? SHT_DYNSYM : 0) {
        for (size_t i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type != type || sh[i].sh_link >= eh->e_shnum ||
                sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset)
                continue;
            const ElfC(Shdr) *strs = &sh[sh[i].sh_link];
            if (strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
                continue;
            const ElfC(Sym) *sym = (const ElfC(Sym) *)(img + sh[i].sh_offset);
            size_t count = sh[i].sh_size / sizeof(ElfC(Sym));
            for (size_t k = 0; k < count; k++) {
                if (ELFC_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_value > vaddr ||
                    vaddr >= (uint64_t)sym[k].st_value + sym[k].st_size ||
                    sym[k].st_name >= strs->sh_size)
                    continue;
                const char *name = (const char *)img + strs->sh_offset + sym[k].st_name;
                size_t room = strs->sh_size - sym[k].st_name;
                snprintf(symbol, cap, "%.*s", (int)strnlen(name, room), name);
                return true;
            }
        }
    }
    return false;
}

#undef ELF_PASTE_
#undef ELF_PASTE
#undef ElfC
#undef ELFC_ST_TYPE
#undef ELFC_FN
