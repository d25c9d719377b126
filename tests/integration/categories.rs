//! Nested categories: the parent select and its rules (no cycle, at most five levels, no
//! deleting a parent), a category listing its whole subtree with breadcrumbs and counts kept
//! right as products and categories move, and two admins moving categories at once.

use shopfront::models::category::{self, NewCategory};

use crate::support::client::{Client, Page};
use crate::support::fixtures::ProductSpec;
use crate::support::{at_once, Contender, TestApp};

/// Adds a category through the admin form (under `parent`, a category id, when given).
fn add(admin: &Client, slug: &str, name: &str, parent: Option<i32>) -> Page {
    let form = admin.get("/admin/categories/new");
    let parent = parent.map_or(String::new(), |p| p.to_string());
    admin.submit_on(
        &form,
        "/admin/categories",
        &[("name", name), ("slug", slug), ("parent_id", &parent)],
    )
}

fn id_of(app: &TestApp, slug: &str) -> i32 {
    use diesel::prelude::*;
    use shopfront::schema::categories;
    app.db(|conn| {
        categories::table
            .filter(categories::slug.eq(slug))
            .select(categories::id)
            .first(conn)
            .unwrap()
    })
}

/// Moves category `id` under `parent` (None: the top level) through its edit form.
fn move_under(admin: &Client, id: i32, parent: Option<i32>) -> Page {
    let form = admin.get(&format!("/admin/categories/{id}/edit"));
    let parent = parent.map_or(String::new(), |p| p.to_string());
    admin.submit_on(
        &form,
        &format!("/admin/categories/{id}"),
        &[("parent_id", &parent)],
    )
}

#[test]
fn parents_make_no_cycle_no_sixth_level_and_are_not_deleted_with_children() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let mut parent = None;
    for level in 1..=5 {
        let slug = format!("level-{level}");
        let made = add(&admin, &slug, &format!("Level {level}"), parent);
        assert_eq!(made.status, 303, "level {level}: {}", made.body);
        parent = Some(id_of(&app, &slug));
    }
    let sixth = add(&admin, "level-6", "Level 6", parent);
    assert_eq!(sixth.status, 400);
    assert!(sixth
        .text("#parent_id-error")
        .unwrap()
        .contains("at most 5 levels"));
    assert_eq!(
        sixth.attrs("#name", "value"),
        ["Level 6"],
        "the form as typed"
    );

    let (top, third) = (id_of(&app, "level-1"), id_of(&app, "level-3"));
    let cycle = move_under(&admin, top, Some(third));
    assert_eq!(cycle.status, 400);
    assert!(cycle
        .text("#parent_id-error")
        .unwrap()
        .contains("under itself"));
    // Its own subtree is not even offered.
    let form = admin.get(&format!("/admin/categories/{top}/edit"));
    assert!(!form
        .attrs("#parent_id option", "value")
        .contains(&third.to_string()));
    // Moving a two-level subtree (4 › 5) under level 4 would make a sixth level.
    let fourth = id_of(&app, "level-4");
    let other = add(&admin, "other", "Other", None);
    assert_eq!(other.status, 303);
    let too_deep = move_under(&admin, fourth, Some(id_of(&app, "level-4")));
    assert_eq!(too_deep.status, 400);
    assert_eq!(
        move_under(&admin, fourth, Some(id_of(&app, "other"))).status,
        303
    );

    let list = admin.get("/admin/categories");
    let delete = format!("/admin/categories/{}/delete", id_of(&app, "level-2"));
    let refused = admin.submit_on(&list, &delete, &[]);
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("subcategor"), "{}", refused.body);
    // The header shows the top level only.
    let home = app.client().get("/");
    let nav = home.texts("nav.categories a");
    assert!(nav.contains(&"Level 1".to_string()) && nav.contains(&"Other".to_string()));
    assert!(!nav.contains(&"Level 2".to_string()), "{nav:?}");
}

/// Outdoor › Camping › Tents, made through the admin form; their ids.
fn branch(app: &TestApp, admin: &Client) -> (i32, i32, i32) {
    add(admin, "outdoor", "Outdoor", None);
    let outdoor = id_of(app, "outdoor");
    add(admin, "camping", "Camping", Some(outdoor));
    let camping = id_of(app, "camping");
    add(admin, "tents", "Tents", Some(camping));
    (outdoor, camping, id_of(app, "tents"))
}

#[test]
fn a_category_lists_its_subtree_with_breadcrumbs_and_counts_that_follow_every_move() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let (outdoor, camping, tents) = branch(&app, &admin);
    let product = |category_id, name| {
        app.product(ProductSpec {
            category_id,
            name,
            ..ProductSpec::default()
        })
    };
    product(outdoor, "Rain jacket");
    product(camping, "Camp stove");
    let tent = product(tents, "Two-person tent");
    product(tents, "Tent pegs");
    let client = app.client();

    let top = client.get("/products?category=outdoor");
    let mut names = top.product_names();
    names.sort();
    assert_eq!(
        names,
        ["Camp stove", "Rain jacket", "Tent pegs", "Two-person tent"]
    );
    assert_eq!(top.texts(".subcategories li"), ["Camping (3)"]);
    let middle = client.get("/products?category=camping");
    assert_eq!(middle.product_names().len(), 3);
    assert_eq!(middle.texts(".subcategories li"), ["Tents (2)"]);
    let leaf = client.get("/products?category=tents");
    assert_eq!(
        leaf.texts(".breadcrumbs a, .breadcrumbs span"),
        ["Home", "Outdoor", "Camping", "Tents"]
    );
    let page = client.get(&format!("/products/{tent}"));
    assert_eq!(
        page.texts(".breadcrumbs a"),
        ["Home", "Outdoor", "Camping", "Tents"]
    );
    // Search and filters stay within the subtree.
    let found = client.get("/products?category=camping&q=tent");
    assert_eq!(found.product_names().len(), 2);

    // A product archived, a category moved: the counts follow at once.
    let edit = admin.get(&format!("/admin/products/{tent}/edit"));
    let archived = admin.submit_on(&edit, &format!("/products/{tent}/archive"), &[]);
    assert_eq!(archived.status, 303, "{}", archived.body);
    let top = client.get("/products?category=outdoor");
    assert_eq!(top.texts(".subcategories li"), ["Camping (2)"]);
    assert_eq!(move_under(&admin, tents, Some(outdoor)).status, 303);
    let top = client.get("/products?category=outdoor");
    let mut children = top.texts(".subcategories li");
    children.sort();
    assert_eq!(children, ["Camping (1)", "Tents (1)"]);
    assert_eq!(top.product_names().len(), 3);
}

#[test]
fn a_category_made_on_another_instance_has_its_page_and_path_at_once() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let (_, camping, _) = branch(&app, &admin);
    let client = app.client();
    // The page reads the tree this instance keeps; another instance then adds a category,
    // which this one was not told about.
    assert_eq!(client.get("/products?category=camping").status, 200);
    let now = shopfront::models::now();
    app.db(|conn| {
        category::insert(
            conn,
            &NewCategory {
                slug: "stoves",
                name: "Stoves",
                description: "",
                created_at: now,
                updated_at: now,
                parent_id: Some(camping),
            },
        )
    })
    .expect("the category is stored");
    let stoves = client.get("/products?category=stoves");
    assert_eq!(stoves.status, 200, "{}", stoves.body);
    assert_eq!(
        stoves.texts(".breadcrumbs a, .breadcrumbs span"),
        ["Home", "Outdoor", "Camping", "Stoves"]
    );
}

#[test]
fn two_admins_moving_categories_under_each_other_at_once_make_no_cycle() {
    let app = TestApp::spawn();
    let one = app.admin("one@example.com");
    let two = app.admin("two@example.com");
    for round in 0..5 {
        let (a, b) = (format!("a-{round}"), format!("b-{round}"));
        add(&one, &a, &format!("A {round}"), None);
        add(&one, &b, &format!("B {round}"), None);
        let (a, b) = (id_of(&app, &a), id_of(&app, &b));
        let form_a = one.get(&format!("/admin/categories/{a}/edit"));
        let form_b = two.get(&format!("/admin/categories/{b}/edit"));
        let (pa, pb) = (b.to_string(), a.to_string());
        let moves: Vec<Contender<'_, u16>> = vec![
            Box::new(|| {
                one.submit_on(
                    &form_a,
                    &format!("/admin/categories/{a}"),
                    &[("parent_id", &pa)],
                )
                .status
            }),
            Box::new(|| {
                two.submit_on(
                    &form_b,
                    &format!("/admin/categories/{b}"),
                    &[("parent_id", &pb)],
                )
                .status
            }),
        ];
        let mut statuses = at_once(moves);
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 400], "round {round}");
    }
}

#[test]
fn a_branch_pages_through_every_order_as_one_list() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let (outdoor, camping, tents) = branch(&app, &admin);
    // 60 products over three levels: prices and ages interleave across the categories.
    let mut expected: Vec<(i64, i64, String)> = Vec::new();
    for n in 0..60i64 {
        let category_id = [outdoor, camping, tents][(n % 3) as usize];
        let name = format!("Item {:02}", (n * 37) % 60);
        let price_cents = 100 + (n * 53) % 61 * 10;
        app.product(ProductSpec {
            category_id,
            name: &name,
            price_cents,
            minutes_old: 60 - n,
            ..ProductSpec::default()
        });
        expected.push((price_cents, n, name));
    }
    let client = app.client();
    let all_pages = |sort: &str| {
        let mut names = Vec::new();
        for page in 1..=3 {
            let url = format!("/products?category=outdoor&sort={sort}&page={page}");
            let listed = client.get(&url);
            assert_eq!(listed.status, 200, "{url}");
            names.extend(listed.product_names());
        }
        names
    };
    let ids_in = |mut rows: Vec<(i64, i64, String)>, by: fn(&(i64, i64, String)) -> (i64, i64)| {
        rows.sort_by_key(by);
        rows.into_iter().map(|r| r.2).collect::<Vec<_>>()
    };
    // Newest first: the last made first.
    let newest = ids_in(expected.clone(), |r| (-r.1, 0));
    assert_eq!(all_pages("newest"), newest);
    // Ties in price go by id (the order made), as on a flat category's page.
    assert_eq!(
        all_pages("price_asc"),
        ids_in(expected.clone(), |r| (r.0, r.1))
    );
    assert_eq!(
        all_pages("price_desc"),
        ids_in(expected.clone(), |r| (-r.0, -r.1))
    );
    let mut by_name: Vec<String> = expected.iter().map(|r| r.2.clone()).collect();
    by_name.sort();
    assert_eq!(all_pages("name"), by_name);
    let top = client.get("/products?category=outdoor&page=3");
    assert!(
        top.visible_text().contains("Page 3 of 3"),
        "the kept counts add up to 60"
    );

    // Big branches merge each category's own index instead (from 5,000 products): the same
    // pages, in every order, at every depth.
    use shopfront::domain::{ListFilter, ProductSort};
    use shopfront::models::catalog;
    let ids = [outdoor, camping, tents];
    let everything = ListFilter::default();
    for sort in [
        ProductSort::Newest,
        ProductSort::PriceAsc,
        ProductSort::PriceDesc,
        ProductSort::Name,
    ] {
        for offset in [0, 17, 24, 48, 59] {
            let window = (offset, 24);
            let (sorted, total) = app
                .db(|conn| catalog::narrowed_page(conn, Some(&ids), &everything, sort, window))
                .unwrap();
            let merged = app
                .db(|conn| catalog::merged_branch_page(conn, &ids, sort, window))
                .unwrap()
                .expect("an order each category's index yields");
            assert_eq!(total, 60);
            assert_eq!(merged, sorted, "{sort:?} from {offset}");
        }
    }
    let rated =
        app.db(|conn| catalog::merged_branch_page(conn, &ids, ProductSort::Rating, (0, 24)));
    assert_eq!(rated.unwrap(), None);
}
