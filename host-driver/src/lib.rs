//! pagepress host driver (under construction)
