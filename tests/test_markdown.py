from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from questions.bank import ParsedBank, ParsedQuestion
from questions.markdown import render_markdown, sanitise
from questions.templatetags.markdown import markdown_filter
from tests.dom import Node, parse

REL = "noopener noreferrer nofollow"


def tree(html: str) -> Node:
    return parse(html, strict=True)


def tags(html: str) -> list[str]:
    return [element.tag for element in tree(html).iter()][1:]


def question(bank: ParsedBank, number: int) -> ParsedQuestion:
    (found,) = [item for item in bank.questions if item.number == number]
    return found


# The bank's Markdown


def test_it_renders_a_bullet_list_between_two_paragraphs(parsed_bank: ParsedBank) -> None:
    root = tree(render_markdown(question(parsed_bank, 24).answer))
    assert [element.tag for element in root.elements] == ["p", "ul", "p"]
    first, bullets, after = root.elements
    assert first.text == "Scaling laws describe how model performance improves with:"
    assert [item.tag for item in bullets.elements] == ["li", "li", "li"]
    assert [item.text for item in bullets.elements] == [
        "Model size (parameters)",
        "Dataset size",
        "Compute budget",
    ]
    assert after.text == (
        "Generally, performance scales predictably with these factors following power laws."
    )


def test_it_renders_a_numbered_list(parsed_bank: ParsedBank) -> None:
    root = tree(render_markdown(question(parsed_bank, 32).answer))
    assert [element.tag for element in root.elements] == ["p", "ol"]
    numbered = root.elements[1]
    assert numbered.attrs == {}
    assert [item.text for item in numbered.elements] == [
        "Supervised fine-tuning",
        "Training a reward model from human comparisons",
        "Optimizing the policy using RL (e.g., PPO) to maximize the reward",
    ]


def test_it_ends_a_numbered_list_before_a_plain_line() -> None:
    root = tree(render_markdown("Steps:\n1. one\n2. two\nThen done."))
    assert [element.tag for element in root.elements] == ["p", "ol", "p"]
    assert root.elements[2].text == "Then done."


def test_it_keeps_an_indented_line_inside_its_list_item() -> None:
    root = tree(render_markdown("- one\n  more of one\n- two"))
    assert [element.tag for element in root.elements] == ["ul"]
    assert [item.text for item in root.elements[0].elements] == ["one\nmore of one", "two"]


def test_it_renders_paragraphs_of_a_long_answer(parsed_bank: ParsedBank) -> None:
    root = tree(render_markdown(question(parsed_bank, 1).answer))
    assert [element.tag for element in root.elements] == ["p", "p", "p"]


def test_it_keeps_unicode(parsed_bank: ParsedBank) -> None:
    html = render_markdown(question(parsed_bank, 16).answer)
    assert "LN(x) = γ * (x - μ) / √(σ² + ε) + β." in html


# Hostile input


def test_it_shows_a_script_tag_as_text() -> None:
    html = render_markdown("Before <script>alert(1)</script> after")
    assert html == "<p>Before &lt;script&gt;alert(1)&lt;/script&gt; after</p>\n"
    assert tags(html) == ["p"]
    assert tree(html).words == "Before <script>alert(1)</script> after"


def test_it_shows_a_script_block_as_text() -> None:
    html = render_markdown("<script>\nalert(1)\n</script>")
    assert "<script" not in html
    assert tags(html) == ["p"]


def test_it_drops_an_image_with_an_event_handler() -> None:
    html = render_markdown("<img src=x onerror=alert(1)>")
    assert "<img" not in html
    for element in tree(html).iter():
        assert element.tag != "img"
        assert not [name for name in element.attrs if name.startswith("on")]
    assert tags(html) == ["p"]


def test_it_drops_markdown_images() -> None:
    html = render_markdown("![diagram](https://example.com/x.png)")
    assert "<img" not in html
    assert "img" not in tags(html)


def test_it_refuses_a_javascript_link() -> None:
    for source in ["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<javascript:alert(1)>"]:
        html = render_markdown(source)
        hrefs = [element.attrs.get("href") for element in tree(html).iter()]
        assert not [href for href in hrefs if href and "javascript" in href.lower()], source
        assert "href" not in html


def test_it_refuses_a_data_link() -> None:
    html = render_markdown("[x](data:text/html;base64,PHNjcmlwdD4=)")
    assert "href" not in html


# The sanitiser on its own: markdown-it refuses javascript: and data: links before nh3 sees
# them, so only HTML given to the sanitiser directly shows that nh3 refuses them too. (Images,
# and so `src`, are not allowed at all: see test_it_drops_markdown_images.)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "ftp://example.com/file",
        "tel:+441234567890",
    ],
)
def test_the_sanitiser_refuses_urls_outside_http_https_and_mailto(url: str) -> None:
    (link,) = tree(sanitise(f'<a href="{url}">x</a>')).find_all("a")

    assert link.attrs == {"rel": REL}  # the link stays, without its address


@pytest.mark.parametrize(
    "url", ["https://arxiv.org/abs/1706.03762", "http://example.com/", "mailto:ed@example.com"]
)
def test_the_sanitiser_keeps_http_https_and_mailto_links(url: str) -> None:
    (link,) = tree(sanitise(f'<a href="{url}">x</a>')).find_all("a")

    assert link.attrs == {"href": url, "rel": REL}


def test_it_gives_a_normal_link_noopener() -> None:
    html = render_markdown("See [the paper](https://arxiv.org/abs/1706.03762).")
    (link,) = [element for element in tree(html).iter() if element.tag == "a"]
    assert link.attrs["href"] == "https://arxiv.org/abs/1706.03762"
    assert link.attrs["rel"] == "noopener noreferrer nofollow"
    assert link.text == "the paper"


def test_it_returns_safe_html() -> None:
    assert isinstance(render_markdown("*hi*"), SafeString)
    assert render_markdown("*hi*") == "<p><em>hi</em></p>\n"


# The template filter


def test_the_filter_gives_the_same_html_unescaped(parsed_bank: ParsedBank) -> None:
    answer = question(parsed_bank, 24).answer
    rendered = Template("{% load markdown %}<div>{{ answer|markdown }}</div>").render(
        Context({"answer": answer})
    )
    assert rendered == f"<div>{render_markdown(answer)}</div>"
    assert "<ul>" in rendered and "&lt;" not in rendered


def test_the_filter_keeps_hostile_input_escaped() -> None:
    rendered = Template("{% load markdown %}{{ answer|markdown }}").render(
        Context({"answer": "<script>alert(1)</script>"})
    )
    assert rendered == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_the_filter_marks_its_output_safe() -> None:
    assert isinstance(markdown_filter("- a"), SafeString)
    assert markdown_filter("- a") == "<ul>\n<li>a</li>\n</ul>\n"


def test_the_filter_renders_nothing_for_an_empty_value() -> None:
    rendered = Template("{% load markdown %}[{{ missing|markdown }}]").render(Context({}))
    assert rendered == "[]"
    assert markdown_filter(None) == ""  # type: ignore[arg-type]
