//! The `seglens` binary: everything lives in the library; see `seglens --help`.

fn main() -> std::process::ExitCode {
    seglens::cli::main()
}
