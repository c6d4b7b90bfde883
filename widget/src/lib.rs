//! The embeddable chat widget (Leptos, CSR); built out in its own issue.
