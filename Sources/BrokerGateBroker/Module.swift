// The broker adapter (protocol + simulated broker) arrives with the orders issue; this
// module exists now so the layering of DESIGN.md is fixed from the first commit.
