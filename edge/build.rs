//! Keeps, of the common-password list, only the entries a new password could match: those as
//! long as the shortest password accepted (`shared::auth::MIN_PASSWORD_CHARS`), so the worker's
//! module carries about 150 of them rather than 10,000.

const MIN_PASSWORD_CHARS: usize = 10;

fn main() {
    let list = "data/common-passwords.txt";
    println!("cargo:rerun-if-changed={list}");
    let all = std::fs::read_to_string(list).expect("edge/data/common-passwords.txt is in the repository");
    let long: Vec<&str> = all.lines().filter(|p| p.chars().count() >= MIN_PASSWORD_CHARS).collect();
    let out =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("common-passwords-long.txt");
    std::fs::write(out, long.join("\n") + "\n").expect("OUT_DIR is writable");
}
