"""The patient: the list and its model, the demographics form, medical history (with blood
test ranges), hair-loss classification and its scale pictures, and the question asked when a
new patient may already be registered.

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/patients/.
"""
