//! The recorded positions of one YAML file: a tree with a node per value
//! (and per map key), in document order.
//!
//! Recording costs one entry per node (no path is built, cloned or hashed
//! per value); a lookup walks down from the root along the path, comparing
//! each step with the children of the node reached (a few lookups per
//! file: the positions of reported problems).
use crate::diag::Span;
use crate::path::{ConfigPath, Seg};

use super::MERGE_SLOT;

/// A node of a [`SpanTree`]: its index in the tree.
pub(super) type NodeId = u32;

/// The positions of a file's values and map keys by config path.
#[derive(Debug, Default)]
pub(super) struct SpanTree {
    /// The root (a document's value) first, then every node in the order
    /// it was added.
    nodes: Vec<Node>,
}

/// One value of the file (or a map entry whose value is still to come).
#[derive(Debug)]
struct Node {
    /// The step from the parent to this node (the root's is never read).
    seg: Seg,
    parent: Option<NodeId>,
    /// Where the value is written.
    value: Option<Span>,
    /// Where the map key introducing it is written.
    key: Option<Span>,
    first_child: Option<NodeId>,
    last_child: Option<NodeId>,
    next_sibling: Option<NodeId>,
}

impl SpanTree {
    /// Add the root (`parent` `None`: the tree's first node) or the last
    /// child of `parent`, reached from it by `seg`.
    pub(super) fn add(&mut self, parent: Option<NodeId>, seg: Seg) -> NodeId {
        let id = NodeId::try_from(self.nodes.len()).expect("MAX_NODES keeps node ids small");
        self.nodes.push(Node {
            seg,
            parent,
            value: None,
            key: None,
            first_child: None,
            last_child: None,
            next_sibling: None,
        });
        if let Some(parent) = parent {
            match self.node_mut(parent).last_child.replace(id) {
                Some(previous) => self.node_mut(previous).next_sibling = Some(id),
                None => self.node_mut(parent).first_child = Some(id),
            }
        }
        id
    }

    /// Record where the value of `node` is written.
    pub(super) fn set_value(&mut self, node: NodeId, span: Span) {
        self.node_mut(node).value = Some(span);
    }

    /// Record where the map key introducing `node` is written.
    pub(super) fn set_key(&mut self, node: NodeId, span: Span) {
        self.node_mut(node).key = Some(span);
    }

    /// Where the map key of the entry `key` of the map `node` is written
    /// (a merge slot's too).
    pub(super) fn key_of_entry(&self, node: NodeId, key: &str) -> Option<&Span> {
        let entry = self
            .children(node)
            .find(|&c| matches!(&self.node(c).seg, Seg::Key(k) if k == key))?;
        self.node(entry).key.as_ref()
    }

    /// The path of `node` from the root.
    pub(super) fn path_of(&self, node: NodeId) -> ConfigPath {
        let mut segs: Vec<Seg> = std::iter::successors(Some(node), |&n| self.node(n).parent)
            .filter(|&n| self.node(n).parent.is_some())
            .map(|n| self.node(n).seg.clone())
            .collect();
        segs.reverse();
        ConfigPath(segs)
    }

    /// The position of the value (`keys` false) or of the map key (`keys`
    /// true) at `path`.
    pub(super) fn get(&self, path: &ConfigPath, keys: bool) -> Option<&Span> {
        let mut reached = 0;
        let node = self.walk(path).inspect(|_| reached += 1).last()?;
        if reached != path.0.len() + 1 {
            return None;
        }
        if keys {
            node.key.as_ref()
        } else {
            node.value.as_ref()
        }
    }

    /// The position of the value at `path` or, when none is recorded
    /// there, of its nearest ancestor's.
    pub(super) fn value_near(&self, path: &ConfigPath) -> Option<&Span> {
        self.walk(path).filter_map(|n| n.value.as_ref()).last()
    }

    /// Every recorded position of values (`keys` false) or of map keys
    /// (`keys` true) with its path, in document order.
    pub(super) fn iter(&self, keys: bool) -> impl Iterator<Item = (ConfigPath, &Span)> {
        let mut out = Vec::new();
        let mut stack: Vec<(NodeId, ConfigPath)> = Vec::new();
        if !self.nodes.is_empty() {
            stack.push((0, ConfigPath::root()));
        }
        while let Some((id, path)) = stack.pop() {
            let node = self.node(id);
            let span = if keys { &node.key } else { &node.value };
            let children: Vec<NodeId> = self.visible_children(id).collect();
            for &c in children.iter().rev() {
                let mut below = path.clone();
                below.0.push(self.node(c).seg.clone());
                stack.push((c, below));
            }
            if let Some(span) = span {
                out.push((path, span));
            }
        }
        out.into_iter()
    }

    /// The nodes from the root along `path`, as far as it is recorded (a
    /// merge slot is never reached: no path of the value goes through it).
    fn walk<'a, 'p>(
        &'a self,
        path: &'p ConfigPath,
    ) -> impl Iterator<Item = &'a Node> + use<'a, 'p> {
        let root = (!self.nodes.is_empty()).then_some(0);
        let mut segs = path.0.iter();
        std::iter::successors(root, move |&n| {
            let seg = segs.next().filter(|s| !is_merge_slot(s))?;
            self.children(n).find(|&c| self.node(c).seg == *seg)
        })
        .map(|n| self.node(n))
    }

    /// The children of `node` in the order they were added.
    fn children(&self, node: NodeId) -> impl Iterator<Item = NodeId> {
        std::iter::successors(self.node(node).first_child, |&c| self.node(c).next_sibling)
    }

    /// The children of `node` but a merge slot (its entries are the map's).
    fn visible_children(&self, node: NodeId) -> impl Iterator<Item = NodeId> {
        self.children(node)
            .filter(|&c| !is_merge_slot(&self.node(c).seg))
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id as usize]
    }
}

/// Whether `seg` is the key a plain `<<` has while its map is built.
fn is_merge_slot(seg: &Seg) -> bool {
    matches!(seg, Seg::Key(k) if k == MERGE_SLOT)
}
