"""Marking: answer files in, marks and reports out, with the checker deciding each answer.

- :mod:`~symconv.marking.answer_files`: which files are answer files, and each
  read as data (a file that cannot be read says why in a few words);
- :mod:`~symconv.marking.marks`: a file or a class of files marked against the
  sheet they answer;
- :mod:`~symconv.marking.credit`: partial credit, and credit carried from a
  wrong earlier answer;
- :mod:`~symconv.marking.reports`: marks as text, CSV and Gradescope results;
- :mod:`~symconv.marking.answer_template`: the empty file students fill in.

Reading and deciding one answer is :mod:`symconv.answers`; marking only calls it.
"""
