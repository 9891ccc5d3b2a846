// `LoadError` carries the file, key path and hint by value, as in the library.
#![allow(clippy::result_large_err)]

// The loader allocates many small trees; mimalloc makes that markedly cheaper than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() {
    std::process::exit(cli::main());
}
