"""A cart with percentage coupons that expire."""
