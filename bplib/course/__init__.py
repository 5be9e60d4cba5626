"""The course: what exists for the book, not for the maths it teaches.

The core of bplib (``functions``, ``layers``, ``losses``, ``network``, ``optim``,
``train``, ``gradcheck``, ``engine``, ``data``) is what the chapters derive. This
subpackage holds what the book needs around it, each module built only on the
core's public API (the core never imports it; import contracts in the test
suite say so):

* ``exercises``  the checked exercises, one module per chapter (``exercises.ch03`` ...),
  and ``check``, ``judge``, ``reference``, ``show_solution``, ``wrong_answers``, ``keys``
* ``bugs``       the planted bugs of chapters 7 and 8 and of the exercises' wrong answers
* ``widgets``    slider panels (needs ipywidgets); ``frames`` their precomputed frames
* ``plots``      figures several chapters draw, the engine's computational graphs among them
  (needs matplotlib)
* ``mnist``      full MNIST through tensorflow-datasets, or the embedded digits

Import the module a chapter needs: ``from bplib.course import exercises, plots``.
Nothing is imported here, so ``import bplib.course.exercises`` needs neither
matplotlib nor ipywidgets.
"""
