fn main() {
    std::process::exit(devgen::cli::main());
}
