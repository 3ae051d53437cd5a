"""NHS identity colours of the slide deck (https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/).

One place for the deck's colours, to be absorbed by the project palette (``maps/palette.py``)
when it lands; text colours have at least 4.5:1 contrast on white, white text on NHS blue 5.1:1.
"""

NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#e8edee"
NHS_WARM_YELLOW = "#ffb81c"
WHITE = "#ffffff"
TEXT = "#212b32"  # NHS body text
TEXT_SECONDARY = "#4c6272"  # NHS secondary text (6.1:1 on white)
