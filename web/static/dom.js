// dom.js: the page's two DOM helpers.

// $ finds an element by id.
export const $ = (id) => document.getElementById(id);

// el builds an element: el('p', {className: 'x', text: 'hi', hidden: true}, child...).
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) node.setAttribute(a, av);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}
