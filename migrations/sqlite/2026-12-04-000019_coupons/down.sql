ALTER TABLE orders DROP COLUMN coupon_code;
ALTER TABLE carts DROP COLUMN coupon_code;
DROP TABLE coupon_uses;
DROP TABLE coupons;
