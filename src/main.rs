fn main() -> std::process::ExitCode {
    fundraiser::cli::main()
}
