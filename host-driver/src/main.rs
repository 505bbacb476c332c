fn main() -> std::process::ExitCode {
    pagepress::cli::main()
}
