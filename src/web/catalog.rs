//! The public catalogue: home, product lists with filter, search, sort and pages, and the
//! product page.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db::{self, DbConn};
use crate::domain::cart::MAX_PER_LINE;
use crate::domain::catalog::{CatalogError, ListFilter, MAX_QUERY_CHARS, PAGE_SIZE};
use crate::domain::review;
use crate::domain::{
    Money, PageCursor, PageNumber, Pagination, ProductSort, ProductStatus, SearchTerms, StockState,
};
use crate::models::catalog::{self, Window};
use crate::models::category::{self, Categories, CategoryLink, CategoryNode};
use crate::models::photo::{self, Photo};
use crate::models::product::{self, Product, ProductCard};
use crate::models::review::{self as review_model, ReviewView};
use crate::models::search::Narrowing;
use crate::models::variant;
use crate::web::conditional;
use crate::web::error::AppError;
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::seo::{self, product_meta, PageMeta, ProductFacts};
use crate::web::state::AppState;
use crate::web::visit::{path_id, Reply, Visit};

/// Products on the home page.
const HOME_NEWEST: i64 = 8;

impl From<CatalogError> for AppError {
    fn from(err: CatalogError) -> AppError {
        AppError::BadRequest(err.0)
    }
}

#[derive(Template)]
#[template(path = "catalog/home.html")]
struct HomePage {
    page: PageContext,
    newest: Vec<ProductCard>,
}

/// `GET /`: categories, the newest products and a search box.
pub async fn home(v: Visit) -> Reply {
    conditional::serve(v, home_page).await
}

async fn home_page(v: Visit) -> Reply {
    let Visit { state, page, .. } = v;
    let newest = db::read(&state.pool, |conn| Ok(catalog::newest(conn, HOME_NEWEST)?)).await?;
    let mut page = page;
    page.meta = Some(PageMeta {
        canonical: format!("{}/", state.config.public_url.trim_end_matches('/')),
        description: seo::description(&format!(
            "{}: good things, sold simply. Browse the categories and the newest products.",
            page.shop_name
        )),
        ..PageMeta::default()
    });
    render(StatusCode::OK, &HomePage { page, newest })
}

/// The query string of `/products`; every field is read as text and parsed by the domain,
/// so a malformed value is a 400 page with a message rather than a generic error.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    category: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    after: Option<String>,
    before: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    in_stock: Option<String>,
}

/// The filter form's values as typed, to show them again.
#[derive(Debug, Default, Clone)]
pub struct FilterShown {
    min_price: String,
    max_price: String,
    in_stock: bool,
}

/// One link of the sort menu.
struct SortChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
struct ListPage {
    page: PageContext,
    heading: String,
    category: Option<CategoryNode>,
    query: String,
    sort_choices: Vec<SortChoice>,
    products: Vec<ProductCard>,
    pagination: Pagination,
    links: PageLinks,
    /// The filter form's values.
    filter: FilterShown,
    /// The sort chosen, for the filter form (empty: the default).
    sort_value: String,
    /// The category's breadcrumbs and subcategories.
    family: Family,
}

/// The HTML of the first "All products" page showing `products` out of `total`: the
/// product-list template on its own, as the micro-benchmark renders it.
pub fn product_list_html(
    page: PageContext,
    products: Vec<ProductCard>,
    total: i64,
) -> Result<String, askama::Error> {
    let sort = ProductSort::Newest;
    let pagination = Pagination::new(PageNumber::FIRST, PAGE_SIZE, total);
    let address = ListAddress::new((None, "", None), &ListFilter::default());
    let mut links = PageLinks::new(&pagination, |n| address.url(n, None));
    links.of = page.count(pagination.last_page());
    ListPage {
        page,
        heading: "All products".to_string(),
        category: None,
        query: String::new(),
        sort_choices: sort_choices(sort, false),
        products,
        pagination,
        links,
        filter: FilterShown::default(),
        sort_value: String::new(),
        family: Family::default(),
    }
    .render()
}

/// The sort menu's choices, `sort` selected; relevance only for a search.
fn sort_choices(sort: ProductSort, searching: bool) -> Vec<SortChoice> {
    ProductSort::ALL
        .into_iter()
        .filter(|s| searching || *s != ProductSort::Relevance)
        .map(|s| SortChoice {
            value: s.as_str(),
            label: s.label(),
            selected: s == sort,
        })
        .collect()
}

/// Where the pages of one list are: its category, words, sort and filter, encoded once for
/// all the links a page shows.
struct ListAddress {
    /// The encoded query string without page or cursor ("" for all products, newest first).
    query: String,
}

impl ListAddress {
    /// The list of `category`'s products matching `query` in `sort` order (none: the
    /// default), narrowed by `filter`.
    fn new(
        (category, query, sort): (Option<&str>, &str, Option<ProductSort>),
        filter: &ListFilter,
    ) -> ListAddress {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(slug) = category {
            pairs.push(("category", slug.to_string()));
        }
        if !query.is_empty() {
            pairs.push(("q", query.to_string()));
        }
        if let Some(sort) = sort {
            pairs.push(("sort", sort.as_str().to_string()));
        }
        if let Some(min) = filter.min_price {
            pairs.push(("min_price", min.to_decimal_string()));
        }
        if let Some(max) = filter.max_price {
            pairs.push(("max_price", max.to_decimal_string()));
        }
        if filter.in_stock {
            pairs.push(("in_stock", "1".to_string()));
        }
        ListAddress {
            query: serde_urlencoded::to_string(&pairs).unwrap_or_default(),
        }
    }

    /// The URL of page `page`, starting from `cursor` when given.
    fn url(&self, page: i64, cursor: Option<PageCursor>) -> String {
        use std::fmt::Write;
        let mut url = String::with_capacity(self.query.len() + 40);
        url.push_str("/products");
        let mut separator = '?';
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
            separator = '&';
        }
        // Writing to a String cannot fail.
        if page > 1 {
            let _ = write!(url, "{separator}page={page}");
            separator = '&';
        }
        let _ = match cursor {
            Some(PageCursor::After(id)) => write!(url, "{separator}after={id}"),
            Some(PageCursor::Before(id)) => write!(url, "{separator}before={id}"),
            None => Ok(()),
        };
        url
    }
}

/// `GET /products`: the products on sale, filtered by `category`, searched with `q`, in
/// `sort` order, [`PAGE_SIZE`] to a page. Without search words, the "next" and "previous"
/// links carry `after=` or `before=` (a product id), so a deep page costs what the first does.
pub async fn list(v: Visit, params: web::Query<ListParams>) -> Reply {
    conditional::serve(v, |v| list_page(v, params.into_inner())).await
}

async fn list_page(v: Visit, params: ListParams) -> Reply {
    let Visit {
        state, mut page, ..
    } = v;
    let query = params.q.as_deref().unwrap_or("").trim().to_string();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!(
            "Search with at most {MAX_QUERY_CHARS} characters."
        )));
    }
    let searching = !query.is_empty();
    let terms = SearchTerms::parse(&query);
    let sort = ProductSort::parse(params.sort.as_deref(), searching)?;
    let page_number = PageNumber::parse(params.page.as_deref())?;
    let cursor = PageCursor::parse(params.after.as_deref(), params.before.as_deref())?;
    let filter = ListFilter::parse(
        params.min_price.as_deref(),
        params.max_price.as_deref(),
        params.in_stock.as_deref(),
    )?;
    let shown_filter = FilterShown {
        min_price: params
            .min_price
            .clone()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(20)
            .collect(),
        max_price: params
            .max_price
            .clone()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(20)
            .collect(),
        in_stock: filter.in_stock,
    };
    let slug = params.category.clone().filter(|s| !s.trim().is_empty());

    let cached = match slug {
        Some(_) => Some(state.categories().await?),
        None => None,
    };
    let (marks, searches) = (state.page_marks.clone(), state.searches.clone());
    // Lists and rankings change only with the listing version; a stock filter, with stock.
    let version = page.listing_version;
    let stock_version = filter.in_stock.then_some(page.catalog_version);
    let (category, products, pagination, family) = db::read(&state.pool, move |conn| {
        let category = match slug {
            Some(slug) => {
                // The cached tree knows every category of its version; one made since is
                // read from the database.
                let slug = slug.trim();
                let kept = cached.as_deref().and_then(|c| c.by_slug(slug)).cloned();
                Some(match kept {
                    Some(node) => node,
                    None => category::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?,
                })
            }
            None => None,
        };
        let category_id = category.as_ref().map(|c| c.id);
        // A category lists its own products and every subcategory's.
        let family = match category_id {
            Some(id) => Some(Family::read(conn, cached.as_deref(), id)?),
            None => None,
        };
        let categories: Option<Vec<i32>> = family.as_ref().map(|f| f.subtree.clone());
        let narrowing = Narrowing {
            categories: categories.as_deref(),
            filter,
        };
        let nested = categories.as_ref().is_some_and(|ids| ids.len() > 1);
        if searching {
            let wanted = Pagination::new(page_number, PAGE_SIZE, 0);
            let versions = (version, stock_version);
            let found = searches.search(conn, versions, &terms, &narrowing, sort, &wanted)?;
            Ok((
                category,
                found.cards,
                Pagination::new(page_number, PAGE_SIZE, found.total),
                family,
            ))
        } else if !filter.is_empty() || nested {
            let wanted = Pagination::new(page_number, PAGE_SIZE, 0);
            let window = (wanted.offset(), PAGE_SIZE);
            let (cards, total) =
                catalog::narrowed_page(conn, narrowing.categories, &filter, sort, window)?;
            Ok((
                category,
                cards,
                Pagination::new(page_number, PAGE_SIZE, total),
                family,
            ))
        } else {
            let total = catalog::count(conn, category_id)?;
            let pagination = Pagination::new(page_number, PAGE_SIZE, total);
            if !pagination.page_exists() {
                return Ok((category, Vec::new(), pagination, family));
            }
            // A cursor whose product has gone falls back to the page number.
            let key = match cursor {
                Some(PageCursor::After(id) | PageCursor::Before(id)) => {
                    catalog::sort_key(conn, id)?
                }
                None => None,
            };
            // A page reached by its number starts from the nearest mark before it.
            let mark = match &key {
                Some(_) => None,
                None => marks.seek(conn, version, (category_id, sort), pagination.offset())?,
            };
            let window = match (cursor, &key, &mark) {
                (Some(PageCursor::After(_)), Some(key), _) => Window::After(key, 0),
                (Some(PageCursor::Before(_)), Some(key), _) => Window::Before(key),
                (_, _, Some((mark, skip))) => Window::After(mark, *skip),
                _ => Window::at_offset(pagination.offset(), PAGE_SIZE, total),
            };
            let products = catalog::page(conn, category_id, sort, window, PAGE_SIZE)?;
            Ok((category, products, pagination, family))
        }
    })
    .await?;

    let pagination = pagination.checked()?;

    let slug = category.as_ref().map(|c| c.slug.as_str());
    let explicit_sort = params.sort.as_ref().map(|_| sort);
    // Search results and filtered lists are bounded and numbered; plain lists resume from
    // the product at their edge (page 1 needs no cursor).
    let keyset =
        !searching && filter.is_empty() && family.as_ref().is_none_or(|f| f.subtree.len() == 1);
    let (first_id, last_id) = match (keyset, products.first(), products.last()) {
        (true, Some(first), Some(last)) => (Some(first.id), Some(last.id)),
        _ => (None, None),
    };
    let address = ListAddress::new((slug, query.as_str(), explicit_sort), &filter);
    let mut links = PageLinks::stepping(
        &pagination,
        |n| {
            let cursor = if n < pagination.page {
                first_id.filter(|_| n > 1).map(PageCursor::Before)
            } else {
                last_id.map(PageCursor::After)
            };
            address.url(n, cursor)
        },
        |n| address.url(n, None),
    );
    links.of = page.count(pagination.last_page());
    let mut heading = match (&category, searching) {
        (Some(c), true) => format!("“{query}” in {}", c.name),
        (None, true) => format!("Search: “{query}”"),
        (Some(c), false) => c.name.clone(),
        (None, false) => "All products".to_string(),
    };
    if pagination.page > 1 {
        heading.push_str(&format!(" — page {}", pagination.page));
    }
    let sort_choices = sort_choices(sort, searching);
    page.search = query.clone();
    let about = match &category {
        Some(c) if !c.description.trim().is_empty() => c.description.clone(),
        _ => format!("{heading} at {}.", page.shop_name),
    };
    // The canonical address names what the page shows and nothing else: no cursor, no
    // tracking parameters, no sort that is the default anyway.
    let default_sort = ProductSort::parse(None, searching)?;
    let canonical_list = (
        slug,
        query.as_str(),
        explicit_sort.filter(|s| *s != default_sort),
    );
    page.meta = Some(PageMeta {
        canonical: format!(
            "{}{}",
            state.config.public_url.trim_end_matches('/'),
            ListAddress::new(canonical_list, &filter).url(pagination.page, None)
        ),
        description: seo::description(&about),
        ..PageMeta::default()
    });
    render(
        StatusCode::OK,
        &ListPage {
            page,
            heading,
            category,
            query,
            sort_choices,
            products,
            pagination,
            links,
            filter: shown_filter,
            sort_value: explicit_sort.map_or(String::new(), |s| s.as_str().to_string()),
            family: family.unwrap_or_default(),
        },
    )
}

/// A category's place in the tree, as its list page shows it.
#[derive(Debug, Clone, Default)]
pub struct Family {
    /// The category and everything under it.
    subtree: Vec<i32>,
    /// From the top level down to the category's parent, as (slug, name).
    ancestors: Vec<(String, String)>,
    /// Its subcategories, as (slug, name, products on sale in their subtrees).
    children: Vec<(String, String, i64)>,
}

impl Family {
    /// Category `id`'s place in `categories`; `counts` holds the products on sale of each
    /// category under it.
    fn of(categories: &Categories, id: i32, counts: &HashMap<i32, i64>) -> Family {
        let tree = &categories.tree;
        let named = |id: i32| {
            categories
                .node(id)
                .map(|n| (n.slug.clone(), n.name.clone()))
        };
        let mut ancestors: Vec<(String, String)> =
            tree.path(id).into_iter().filter_map(named).collect();
        ancestors.pop();
        // Children in the tree's order: A to Z.
        let children = tree
            .children(id)
            .iter()
            .filter_map(|child| {
                let total = tree
                    .subtree(*child)
                    .iter()
                    .map(|c| counts.get(c).copied().unwrap_or(0))
                    .sum();
                named(*child).map(|(slug, name)| (slug, name, total))
            })
            .collect();
        Family {
            subtree: tree.subtree(id),
            ancestors,
            children,
        }
    }

    /// Category `id`'s family, placed by `cached` unless the category is newer than it (made
    /// on another instance a moment ago). Only a category with subcategories reads counts.
    fn read(conn: &mut DbConn, cached: Option<&Categories>, id: i32) -> Result<Family, AppError> {
        let fresh;
        let categories = match cached {
            Some(categories) if categories.tree.contains(id) => categories,
            _ => {
                fresh = Categories::load(conn)?;
                &fresh
            }
        };
        let under = categories.tree.subtree(id);
        let counts = match under.len() {
            0 | 1 => HashMap::new(),
            _ => category::active_counts(conn, &under[1..])?,
        };
        Ok(Family::of(categories, id, &counts))
    }
}

/// Reviews on one page of a product page.
pub const REVIEWS_PER_PAGE: i64 = 10;

/// What a product page shows besides the product: the forms' typed values and messages.
#[derive(Debug, Clone)]
pub struct ProductPageState {
    /// The quantity in the add-to-cart form.
    pub quantity: String,
    /// The variant chosen in the add-to-cart form.
    pub variant_id: Option<i32>,
    /// Why the last add was refused.
    pub add_error: Option<String>,
    /// The review form's rating, as typed ("" for none).
    pub rating: String,
    /// The review form's text, as typed.
    pub body: String,
    /// The review form's messages.
    pub review_errors: FormErrors,
    /// Which page of reviews.
    pub reviews_page: PageNumber,
    /// Whether the review form holds what the user typed (else their stored review).
    pub typed_review: bool,
}

impl Default for ProductPageState {
    fn default() -> Self {
        ProductPageState {
            quantity: "1".to_string(),
            variant_id: None,
            add_error: None,
            rating: String::new(),
            body: String::new(),
            review_errors: FormErrors::new(),
            reviews_page: PageNumber::FIRST,
            typed_review: false,
        }
    }
}

#[derive(Template)]
#[template(path = "catalog/product.html")]
struct ProductPage {
    page: PageContext,
    product: Product,
    category: CategoryLink,
    /// The category's path from the top level down.
    breadcrumbs: Vec<CategoryLink>,
    stock: StockState,
    on_sale: bool,
    paragraphs: Vec<String>,
    max_quantity: i32,
    state: ProductPageState,
    average: Option<String>,
    reviews: Vec<ReviewView>,
    reviews_pagination: Pagination,
    reviews_links: PageLinks,
    has_own_review: bool,
    /// The variants on sale, as the add-to-cart form offers them.
    variants: Vec<VariantOption>,
    /// "$12.00", or "From $12.00" when the variants' prices differ.
    price_text: String,
    /// Its photos, cover first.
    photos: Vec<Photo>,
}

/// One option of the product page's variant menu.
struct VariantOption {
    id: i32,
    /// "Size M — $12.00 — In stock".
    label: String,
    /// Sold out: listed but not choosable.
    disabled: bool,
    selected: bool,
}

impl ProductPage {
    fn stars(&self, rating: &i32) -> String {
        review::stars(*rating)
    }
}

/// The address of page `page` of product `id`'s reviews.
fn reviews_url(id: i32, page: i64) -> String {
    if page > 1 {
        format!("/products/{id}?reviews_page={page}#reviews")
    } else {
        format!("/products/{id}#reviews")
    }
}

/// Renders the page of product `id`: the product, its add-to-cart form, and its reviews with
/// the review form, holding what `state` says.
pub async fn product_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    mut view: ProductPageState,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let viewer = page.user.clone();
    let number = view.reviews_page;
    let (product, category, reviews, total, own, extras) = db::read(&state.pool, move |conn| {
        let (product, category, parent) =
            product::find_with_category(conn, id)?.ok_or(AppError::NotFound)?;
        // Products without photos (most, in a young shop) skip the query.
        let photos = match product.image_width {
            Some(_) => photo::of_product(conn, id)?,
            None => Vec::new(),
        };
        let variants = match product.has_variants {
            true => variant::active_of(conn, id)?,
            false => Vec::new(),
        };
        let extras = (variants, photos);
        let mut path = category::ancestors(conn, parent)?;
        path.push(category.clone());
        let admin = viewer.as_ref().is_some_and(|u| u.is_admin());
        // The product row keeps its visible reviews' count in step with every review change,
        // so only an admin, who also sees hidden ones, needs them counted; most products have
        // no review, and their page then reads nothing more.
        let total = if admin {
            review_model::count_for_product(conn, id, true)?
        } else {
            i64::from(product.rating_count)
        };
        let offset = (number.get() - 1) * REVIEWS_PER_PAGE;
        let reviews = if offset < total {
            review_model::page_for_product(conn, id, admin, REVIEWS_PER_PAGE, offset)?
        } else {
            Vec::new()
        };
        let own = match &viewer {
            Some(user) => review_model::own(conn, id, user.id)?,
            None => None,
        };
        Ok((product, (category, path), reviews, total, own, extras))
    })
    .await?;
    let (category, breadcrumbs) = category;
    let reviews_pagination = Pagination::new(number, REVIEWS_PER_PAGE, total).checked()?;
    if let (Some((rating, body)), false) = (&own, view.typed_review) {
        view.rating = rating.to_string();
        view.body = body.clone();
    }
    let mut page = page;
    let base = state.config.public_url.trim_end_matches('/');
    let facts = ProductFacts {
        id: product.id,
        name: &product.name,
        description: &product.description,
        price: Money::from_cents(product.price_cents).to_decimal_string(),
        currency: state.config.currency.to_uppercase(),
        in_stock: product.stock > 0 && product.status == ProductStatus::Active,
        image: extras
            .1
            .first()
            .map(|cover| &cover.large)
            .or(product.image.as_ref())
            .map(|name| format!("{base}/uploads/{name}")),
        sku: product
            .sku
            .clone()
            .unwrap_or_else(|| format!("P{}", product.id)),
    };
    page.meta = Some(product_meta(
        format!("{base}/products/{}", product.id),
        &facts,
    ));
    let (variants, photos) = extras;
    let currency = &state.config.currency_symbol;
    let prices: Vec<Money> = variants
        .iter()
        .map(|v| v.price(product.price_cents))
        .collect();
    let lowest = prices
        .iter()
        .copied()
        .min()
        .unwrap_or(Money::from_cents(product.price_cents));
    let price_text = if prices.iter().any(|p| *p != lowest) {
        format!("From {}", lowest.display(currency))
    } else {
        lowest.display(currency)
    };
    // The one chosen before, else the first that can be bought (as a browser would).
    let chosen = view
        .variant_id
        .or_else(|| variants.iter().find(|v| v.stock > 0).map(|v| v.id));
    let variants = variants
        .iter()
        .zip(&prices)
        .map(|(v, price)| VariantOption {
            id: v.id,
            label: format!(
                "{} — {} — {}",
                v.name,
                price.display(currency),
                v.stock_state().label()
            ),
            disabled: v.stock <= 0,
            selected: chosen == Some(v.id),
        })
        .collect();
    let paragraphs = product
        .description
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    render(
        status,
        &ProductPage {
            page,
            stock: StockState::of(product.stock),
            on_sale: product.status == ProductStatus::Active,
            max_quantity: product.stock.clamp(1, MAX_PER_LINE),
            average: review::format_average(product.rating_sum, product.rating_count),
            has_own_review: own.is_some(),
            variants,
            price_text,
            photos,
            product,
            category,
            breadcrumbs,
            paragraphs,
            state: view,
            reviews,
            reviews_links: PageLinks::new(&reviews_pagination, |n| reviews_url(id, n))
                .labelled("← Newer reviews", "Older reviews →"),
            reviews_pagination,
        },
    )
}

/// `?reviews_page=` of a product page.
#[derive(Debug, Deserialize)]
pub struct ProductQuery {
    reviews_page: Option<String>,
}

/// `GET /products/{id}`: one product. An id that is not a number, or names no product, is a 404.
pub async fn show(v: Visit, id: web::Path<String>, query: web::Query<ProductQuery>) -> Reply {
    let id = path_id(&id)?;
    let reviews_page = PageNumber::parse(query.reviews_page.as_deref())?;
    conditional::serve(v, |v| async move {
        let view = ProductPageState {
            reviews_page,
            ..ProductPageState::default()
        };
        product_page(&v.state, v.page, id, view, StatusCode::OK).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: i32, name: &str) -> ProductCard {
        ProductCard {
            id,
            name: name.to_string(),
            price_cents: 1234,
            stock: 3,
            rating_sum: 9,
            rating_count: 2,
            image: None,
            image_width: None,
            image_height: None,
        }
    }

    #[test]
    fn the_product_list_escapes_names_and_links_the_next_page() -> Result<(), askama::Error> {
        let html = product_list_html(
            PageContext::bare(),
            vec![card(7, "Oak <lamp> & shade"), card(8, "Mug")],
            30,
        )?;
        assert!(html.contains("Oak &#60;lamp&#62; &#38; shade"), "{html}");
        assert!(!html.contains("<lamp>"));
        assert!(html.contains(r#"href="/products/8""#));
        assert!(html.contains("$12.34"));
        assert!(html.contains(r#"rel="next" href="/products?page=2""#));
        Ok(())
    }
}
