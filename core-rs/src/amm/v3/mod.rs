//! Uniswap V3 math (placeholder: helper-2 is writing this module; overwrite freely).
