//! Diesel's view of the tables both engines share (`diesel print-schema` output).

diesel::table! {
    categories (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        parent_id -> Nullable<Integer>,
    }
}

diesel::table! {
    catalog_version (id) {
        id -> Integer,
        version -> BigInt,
        listing -> BigInt,
    }
}

diesel::table! {
    products (id) {
        id -> Integer,
        category_id -> Integer,
        name -> Text,
        description -> Text,
        price_cents -> BigInt,
        stock -> Integer,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        rating_sum -> Integer,
        rating_count -> Integer,
        version -> Integer,
        image -> Nullable<Text>,
        tax_class -> Text,
        sku -> Nullable<Text>,
        image_width -> Nullable<Integer>,
        image_height -> Nullable<Integer>,
        has_variants -> Bool,
    }
}

diesel::table! {
    product_photos (id) {
        id -> Integer,
        product_id -> Integer,
        position -> Integer,
        alt -> Text,
        thumb -> Text,
        thumb_width -> Integer,
        thumb_height -> Integer,
        large -> Text,
        large_width -> Integer,
        large_height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        admin_id -> Nullable<Integer>,
        admin_email -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Integer,
        changes -> Text,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> Integer,
        product_id -> Integer,
        user_id -> Integer,
        rating -> Integer,
        body -> Text,
        hidden -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    catalog_counts (category_id) {
        category_id -> Integer,
        active -> Integer,
    }
}

diesel::joinable!(products -> categories (category_id));
diesel::joinable!(reviews -> products (product_id));
diesel::joinable!(reviews -> users (user_id));

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        security_stamp -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        credit_cents -> BigInt,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Integer,
        email -> Text,
        failed_at -> Timestamp,
        client -> Nullable<Text>,
    }
}

diesel::table! {
    throttle_events (id) {
        id -> Integer,
        bucket -> Text,
        happened_at -> Timestamp,
    }
}

diesel::table! {
    reset_requests (id) {
        id -> Integer,
        email -> Text,
        requested_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    images (name) {
        name -> Text,
        data -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Text,
        state -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(email_tokens -> users (user_id));

diesel::table! {
    carts (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        token -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        coupon_code -> Nullable<Text>,
    }
}

diesel::table! {
    cart_items (id) {
        id -> Integer,
        cart_id -> Integer,
        product_id -> Integer,
        quantity -> Integer,
        added_at -> Timestamp,
        variant_id -> Nullable<Integer>,
    }
}

diesel::table! {
    orders (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        status -> Text,
        subtotal_cents -> BigInt,
        discount_cents -> BigInt,
        total_cents -> BigInt,
        ship_name -> Text,
        ship_line1 -> Text,
        ship_line2 -> Text,
        ship_postcode -> Text,
        ship_city -> Text,
        ship_country -> Text,
        checkout_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        payment_intent_id -> Nullable<Text>,
        payment_problem -> Nullable<Text>,
        payment_method -> Text,
        pay_by -> Nullable<Timestamp>,
        paid_cents -> BigInt,
        refunded_cents -> BigInt,
        stripe_session_id -> Nullable<Text>,
        stripe_session_url -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        stock_returned -> Bool,
        shipping_method -> Nullable<Text>,
        shipping_cents -> BigInt,
        tax_cents -> BigInt,
        prices_include_tax -> Bool,
        invoice_number -> Nullable<Text>,
        invoiced_at -> Nullable<Timestamp>,
        coupon_code -> Nullable<Text>,
    }
}

diesel::table! {
    order_guests (order_id) {
        order_id -> Integer,
        email -> Text,
        key_hash -> Text,
        client_ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coupons (id) {
        id -> Integer,
        code -> Text,
        kind -> Text,
        amount -> BigInt,
        min_subtotal_cents -> Nullable<BigInt>,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        max_uses -> Nullable<Integer>,
        max_uses_per_customer -> Integer,
        active -> Bool,
        uses -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coupon_uses (id) {
        id -> Integer,
        coupon_id -> Integer,
        order_id -> Integer,
        user_id -> Nullable<Integer>,
        email -> Text,
        used_at -> Timestamp,
        given_back_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    shipping_methods (id) {
        id -> Integer,
        name -> Text,
        countries -> Text,
        price_cents -> BigInt,
        free_above_cents -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tax_rates (country) {
        country -> Text,
        standard_bp -> Integer,
        reduced_bp -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_taxes (id) {
        id -> Integer,
        order_id -> Integer,
        rate_bp -> Integer,
        net_cents -> BigInt,
        tax_cents -> BigInt,
        gross_cents -> BigInt,
    }
}

diesel::table! {
    invoice_counters (year) {
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    addresses (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        line1 -> Text,
        line2 -> Text,
        postcode -> Text,
        city -> Text,
        country -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
    }
}

diesel::table! {
    shop_settings (id) {
        id -> Integer,
        shop_name -> Text,
        shop_address -> Text,
        vat_id -> Text,
        contact_email -> Text,
        prices_include_tax -> Bool,
        discount_percent -> Integer,
        discount_threshold_cents -> BigInt,
        bank_transfer_details -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> Integer,
        order_id -> Integer,
        amount_cents -> BigInt,
        reason -> Text,
        restock -> Bool,
        state -> Text,
        provider_refund_id -> Nullable<Text>,
        admin_id -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payment_events (event_id) {
        event_id -> Text,
        event_type -> Text,
        order_id -> Nullable<Integer>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    order_items (id) {
        id -> Integer,
        order_id -> Integer,
        product_id -> Integer,
        name -> Text,
        unit_price_cents -> BigInt,
        quantity -> Integer,
        tax_rate_bp -> Integer,
        variant_id -> Nullable<Integer>,
    }
}

diesel::table! {
    product_variants (id) {
        id -> Integer,
        product_id -> Integer,
        name -> Text,
        sku -> Text,
        price_cents -> Nullable<BigInt>,
        stock -> Integer,
        archived -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credit_ledger (id) {
        id -> Integer,
        user_id -> Integer,
        amount_cents -> BigInt,
        balance_cents -> BigInt,
        reason -> Text,
        order_id -> Nullable<Integer>,
        admin_id -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(cart_items -> carts (cart_id));
diesel::joinable!(cart_items -> products (product_id));
diesel::joinable!(cart_items -> product_variants (variant_id));
diesel::joinable!(product_variants -> products (product_id));
diesel::joinable!(product_photos -> products (product_id));
diesel::joinable!(orders -> users (user_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(refunds -> orders (order_id));
diesel::joinable!(order_taxes -> orders (order_id));
diesel::joinable!(coupon_uses -> coupons (coupon_id));
diesel::joinable!(coupon_uses -> orders (order_id));
diesel::joinable!(order_guests -> orders (order_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    images,
    products,
    product_variants,
    product_photos,
    users,
    email_tokens,
    login_failures,
    throttle_events,
    reset_requests,
    outbox,
    sessions,
    carts,
    cart_items,
    coupons,
    coupon_uses,
    order_guests,
    orders,
    order_items,
    reviews,
    audit_log,
    catalog_counts,
    credit_ledger,
    payment_events,
    refunds,
    shop_settings,
    shipping_methods,
    tax_rates,
    order_taxes,
    invoice_counters,
    addresses,
);
