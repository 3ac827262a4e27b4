# The seed's Pattern 3, verbatim from the VaultStream automation guide, run
# over the events on standard input (a JSON list of {title, metadata}).
import json
import sys


def classify_content(content_id, title, metadata):
    """Apply organizational rules based on content characteristics."""
    title_lower = title.lower()

    # Training content → Training folder
    if any(kw in title_lower for kw in ['training', 'module', 'onboarding', 'compliance']):
        return {"folder": "Training", "tags": ["training"]}

    # Executive communications → Leadership folder
    if any(kw in title_lower for kw in ['town hall', 'all-hands', 'ceo', 'quarterly']):
        return {"folder": "Leadership", "visibility": "team"}

    # Department-specific routing
    dept = metadata.get("department", "").lower()
    if dept:
        return {"folder": dept.title(), "tags": [dept]}

    # Default
    return {"folder": "Uncategorized", "tags": []}


events = json.load(sys.stdin)
json.dump([classify_content(e["id"], e["title"], e["metadata"]) for e in events], sys.stdout, ensure_ascii=False)
