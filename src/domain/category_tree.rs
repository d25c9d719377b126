//! Nested categories as a tree: a category's ancestors (its breadcrumbs), its descendants
//! (what its page lists), counts over a subtree, and the rule for moving one under another:
//! no cycles and at most [`MAX_DEPTH`] levels.

use std::collections::HashMap;

/// The most levels of categories (a top-level category is level 1).
pub const MAX_DEPTH: usize = 5;

/// Why a category cannot go under the parent chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeProblem {
    /// The parent is the category itself or one of its descendants.
    Cycle,
    /// The category's subtree would reach below level [`MAX_DEPTH`].
    TooDeep,
    /// No category has that id.
    UnknownParent,
}

impl TreeProblem {
    /// What the admin reads.
    pub fn message(self) -> String {
        match self {
            TreeProblem::Cycle => {
                "A category cannot go under itself or under one of its own subcategories.".into()
            }
            TreeProblem::TooDeep => format!(
                "Categories nest at most {MAX_DEPTH} levels deep: choose a parent higher up."
            ),
            TreeProblem::UnknownParent => "Choose a parent from the list.".into(),
        }
    }
}

/// The categories' parent links.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    parent: HashMap<i32, Option<i32>>,
    children: HashMap<i32, Vec<i32>>,
    order: Vec<i32>,
}

impl Tree {
    /// The tree of `(id, parent)` pairs, children kept in the order given.
    pub fn new(links: impl IntoIterator<Item = (i32, Option<i32>)>) -> Tree {
        let mut tree = Tree::default();
        for (id, parent) in links {
            tree.parent.insert(id, parent);
            tree.order.push(id);
            if let Some(parent) = parent {
                tree.children.entry(parent).or_default().push(id);
            }
        }
        tree
    }

    /// Whether `id` is a category.
    pub fn contains(&self, id: i32) -> bool {
        self.parent.contains_key(&id)
    }

    /// The top-level categories, in the order given.
    pub fn roots(&self) -> Vec<i32> {
        self.order
            .iter()
            .copied()
            .filter(|id| self.parent.get(id) == Some(&None))
            .collect()
    }

    /// The direct children of `id`.
    pub fn children(&self, id: i32) -> &[i32] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// `id` and every category under it, parents before children. A cycle in the stored
    /// links (which [`Tree::check_parent`] keeps out) cannot make it loop.
    pub fn subtree(&self, id: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if out.contains(&next) {
                continue;
            }
            out.push(next);
            stack.extend(self.children(next).iter().rev());
        }
        out
    }

    /// The path from the top level down to `id` (`id` last); empty for an unknown id.
    pub fn path(&self, id: i32) -> Vec<i32> {
        let mut path = Vec::new();
        let mut at = Some(id);
        while let Some(current) = at {
            if !self.contains(current) || path.contains(&current) {
                break;
            }
            path.push(current);
            at = self.parent.get(&current).copied().flatten();
        }
        path.reverse();
        path
    }

    /// How many levels the subtree under `id` spans (1 for a leaf).
    fn height(&self, id: i32) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(id, 1)];
        let mut seen = Vec::new();
        while let Some((next, level)) = stack.pop() {
            if seen.contains(&next) {
                continue;
            }
            seen.push(next);
            deepest = deepest.max(level);
            stack.extend(self.children(next).iter().map(|c| (*c, level + 1)));
        }
        deepest
    }

    /// Whether category `id` (`None`: a new one) may have `parent`.
    pub fn check_parent(&self, id: Option<i32>, parent: Option<i32>) -> Result<(), TreeProblem> {
        let Some(parent) = parent else {
            return match id {
                Some(id) if self.height(id) > MAX_DEPTH => Err(TreeProblem::TooDeep),
                _ => Ok(()),
            };
        };
        if !self.contains(parent) {
            return Err(TreeProblem::UnknownParent);
        }
        let height = match id {
            Some(id) => {
                if self.subtree(id).contains(&parent) {
                    return Err(TreeProblem::Cycle);
                }
                self.height(id)
            }
            None => 1,
        };
        if self.path(parent).len() + height > MAX_DEPTH {
            return Err(TreeProblem::TooDeep);
        }
        Ok(())
    }

    /// The sum of `count` over the subtree of each category: what a category page lists.
    pub fn subtree_totals(&self, count: impl Fn(i32) -> i64) -> HashMap<i32, i64> {
        self.order
            .iter()
            .map(|id| (*id, self.subtree(*id).into_iter().map(&count).sum()))
            .collect()
    }

    /// Every category, parents before their children, each with its level (1 at the top):
    /// the order of an indented list.
    pub fn indented(&self) -> Vec<(i32, usize)> {
        let mut out = Vec::new();
        for root in self.roots() {
            let mut stack = vec![(root, 1)];
            while let Some((id, level)) = stack.pop() {
                if out.iter().any(|(seen, _)| *seen == id) {
                    continue;
                }
                out.push((id, level));
                stack.extend(self.children(id).iter().rev().map(|c| (*c, level + 1)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Outdoor(1) › Camping(2) › Tents(3); Kitchen(4).
    fn shop() -> Tree {
        Tree::new([(1, None), (2, Some(1)), (3, Some(2)), (4, None)])
    }

    #[test]
    fn paths_subtrees_and_totals() {
        let tree = shop();
        assert_eq!(tree.path(3), [1, 2, 3]);
        assert_eq!(tree.subtree(1), [1, 2, 3]);
        assert_eq!(tree.subtree(4), [4]);
        assert_eq!(tree.roots(), [1, 4]);
        let totals = tree.subtree_totals(|id| i64::from(id * 10));
        assert_eq!(totals[&1], 60);
        assert_eq!(totals[&2], 50);
        assert_eq!(tree.indented(), [(1, 1), (2, 2), (3, 3), (4, 1)]);
    }

    #[test]
    fn no_cycles_and_no_sixth_level() {
        let tree = shop();
        assert_eq!(tree.check_parent(Some(1), Some(3)), Err(TreeProblem::Cycle));
        assert_eq!(tree.check_parent(Some(1), Some(1)), Err(TreeProblem::Cycle));
        assert_eq!(tree.check_parent(Some(4), Some(3)), Ok(()), "level 4");
        assert_eq!(
            tree.check_parent(None, Some(9)),
            Err(TreeProblem::UnknownParent)
        );
        let deep = Tree::new([
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(3)),
            (5, Some(4)),
            (6, None),
            (7, Some(6)),
        ]);
        assert_eq!(deep.check_parent(None, Some(4)), Ok(()), "a fifth level");
        assert_eq!(deep.check_parent(None, Some(5)), Err(TreeProblem::TooDeep));
        // 6 › 7 spans two levels: under level 3 or deeper it would reach a sixth.
        assert_eq!(deep.check_parent(Some(6), Some(3)), Ok(()));
        assert_eq!(
            deep.check_parent(Some(6), Some(4)),
            Err(TreeProblem::TooDeep)
        );
    }

    proptest! {
        #[test]
        fn accepted_moves_never_make_a_cycle_or_a_sixth_level(
            parents in proptest::collection::vec(proptest::option::of(0usize..12), 1..12),
            moves in proptest::collection::vec((0usize..12, proptest::option::of(0usize..12)), 0..30),
        ) {
            // Build a valid forest: each node's parent is an earlier node within the depth.
            let mut links: Vec<(i32, Option<i32>)> = Vec::new();
            for (i, parent) in parents.iter().enumerate() {
                let id = i as i32 + 1;
                let tree = Tree::new(links.clone());
                let parent = parent.filter(|p| *p < i).map(|p| p as i32 + 1);
                let parent = parent.filter(|p| tree.check_parent(None, Some(*p)).is_ok());
                links.push((id, parent));
            }
            for (node, parent) in moves {
                let tree = Tree::new(links.clone());
                let node = (node % links.len()) as i32 + 1;
                let parent = parent.map(|p| (p % links.len()) as i32 + 1);
                if tree.check_parent(Some(node), parent).is_ok() {
                    for link in links.iter_mut().filter(|l| l.0 == node) {
                        link.1 = parent;
                    }
                }
                let tree = Tree::new(links.clone());
                for (id, _) in &links {
                    let path = tree.path(*id);
                    prop_assert!(path.len() <= MAX_DEPTH, "{path:?}");
                    prop_assert_eq!(path.first().copied().map(|r| tree.parent[&r]), Some(None), "reaches a root: {:?}", path);
                }
            }
        }
    }
}
